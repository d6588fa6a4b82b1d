import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import { mediaStorage } from './scaling-rules';
import type { NexusFile, TargetConfig } from './schema';

const REDACTED = '[REDACTED]';

/** A secret value that never prints itself: logs, JSON and error messages show [REDACTED]. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value, for the one place that needs it (the rendered env file). */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/** A path as one shell word. */
const shellWord = (path: string) => (/^[\w./~-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`);

export const SECRETS_FILE = join('.nexus', 'secrets');

/**
 * Secrets by name: the environment first (CI injects them there), then `.nexus/secrets` (KEY=VALUE lines,
 * git-ignored). nexus.yml only names them.
 * @returns the found secrets and the names that were found nowhere
 */
export function loadSecrets(names: readonly string[], directory: string, env: NodeJS.ProcessEnv = process.env): { secrets: Map<string, Secret>; missing: string[] } {
  const file = join(directory, SECRETS_FILE);
  const fromFile = existsSync(file) ? parseEnv(readFileSync(assertPrivate(file), 'utf8')) : {};
  const secrets = new Map<string, Secret>();
  const missing: string[] = [];
  for (const name of names) {
    const value = env[name] ?? fromFile[name];
    if (value === undefined || value === '') missing.push(name);
    else secrets.set(name, new Secret(value));
  }
  return { secrets, missing };
}

/**
 * The secrets file, refused when group or others may read it (as ssh refuses a private key): a secret that
 * other users can read is no longer one, and saying so beats using it quietly.
 * @returns the file, when only its owner can read it
 */
export function assertPrivate(file: string): string {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return file;
  const path = shellWord(resolve(file));
  throw new NexusError(`${path} is readable by others (mode ${mode.toString(8).padStart(3, '0')}); nexus reads secrets only from a file only its owner can read.`, {
    code: 'SECRETS_FILE_MODE',
    exitCode: ExitCode.CONFIG,
    suggestions: [`chmod 600 ${path}`],
  });
}

/** A secret a target needs, and why: nexus.yml names some, others follow from its settings. */
export interface RequiredSecret {
  name: string;
  /** Why it is needed, in the file's terms (e.g. `database: host`). */
  reason: string;
  /** How a value is made: random bytes, the URL of an outside service, or a value an outside service gives (a key). */
  value: 'random' | 'url' | 'given';
}

/** The value kind of a secret the file names: a URL for `…_URL` names, else random bytes. */
const valueKind = (name: string): RequiredSecret['value'] => (name.endsWith('_URL') ? 'url' : 'random');

/**
 * Every secret a deploy of the target needs: those app.secrets lists, plus POSTGRES_PASSWORD for a database
 * on the host (or DATABASE_URL for an external one), REDIS_URL for an external Redis and SMTP_URL when the
 * API sends mail over SMTP (MAIL_TRANSPORT=smtp in app.env or the target's env), the media bucket's keys with
 * MEDIA_STORAGE=s3.
 */
export function requiredSecrets(app: NexusFile['app'], target: TargetConfig): RequiredSecret[] {
  const secrets: RequiredSecret[] = app.secrets.map((name) => ({ name, reason: 'listed in app.secrets', value: valueKind(name) }));
  if (target.database === 'external') secrets.push({ name: 'DATABASE_URL', reason: 'database: external (the PostgreSQL URL the API uses)', value: 'url' });
  else secrets.push({ name: 'POSTGRES_PASSWORD', reason: 'database: host (the password of PostgreSQL on the host)', value: 'random' });
  if (target.redis === 'external') secrets.push({ name: 'REDIS_URL', reason: 'redis: external (the Redis URL the API uses)', value: 'url' });
  if ((target.env.MAIL_TRANSPORT ?? app.env.MAIL_TRANSPORT) === 'smtp') secrets.push({ name: 'SMTP_URL', reason: 'MAIL_TRANSPORT: smtp (the SMTP server, with its login)', value: 'url' });
  if (target.monitoring.api_metrics !== false) secrets.push({ name: 'METRICS_TOKEN', reason: 'monitoring.api_metrics (the bearer token Prometheus sends for the API\'s /metrics)', value: 'random' });
  if (mediaStorage(app, target) === 's3') {
    secrets.push({ name: 'MEDIA_S3_ACCESS_KEY_ID', reason: 'MEDIA_STORAGE: s3 (the media bucket\'s access key)', value: 'given' });
    secrets.push({ name: 'MEDIA_S3_SECRET_ACCESS_KEY', reason: 'MEDIA_STORAGE: s3 (the secret of that access key)', value: 'given' });
  }
  return secrets.filter((secret, index) => secrets.findIndex((other) => other.name === secret.name) === index);
}

export const EXAMPLE_VALUES: Record<string, string> = {
  DATABASE_URL: 'postgres://USER:PASSWORD@HOST:5432/DATABASE',
  REDIS_URL: 'redis://:PASSWORD@HOST:6379/0',
  SMTP_URL: 'smtps://USER:PASSWORD@mail.example.com:465',
  MEDIA_S3_ACCESS_KEY_ID: 'ACCESS_KEY_ID',
  MEDIA_S3_SECRET_ACCESS_KEY: 'SECRET_ACCESS_KEY',
};
