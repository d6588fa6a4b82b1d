import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseEnv } from 'node:util';
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

export const SECRETS_FILE = join('.nexus', 'secrets');

/**
 * Secrets by name: the environment first (CI injects them there), then `.nexus/secrets` (KEY=VALUE lines,
 * git-ignored). nexus.yml only names them.
 * @returns the found secrets and the names that were found nowhere
 */
export function loadSecrets(names: readonly string[], directory: string, env: NodeJS.ProcessEnv = process.env): { secrets: Map<string, Secret>; missing: string[] } {
  const file = join(directory, SECRETS_FILE);
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  const secrets = new Map<string, Secret>();
  const missing: string[] = [];
  for (const name of names) {
    const value = env[name] ?? fromFile[name];
    if (value === undefined || value === '') missing.push(name);
    else secrets.set(name, new Secret(value));
  }
  return { secrets, missing };
}

/** A secret a target needs, and why: nexus.yml names some, others follow from its settings. */
export interface RequiredSecret {
  name: string;
  /** Why it is needed, in the file's terms (e.g. `database: host`). */
  reason: string;
  /** How a value is made: random bytes, or the URL of an outside service. */
  value: 'random' | 'url';
}

/**
 * Every secret a deploy of the target needs: those app.secrets lists, plus POSTGRES_PASSWORD for a database
 * on the host (or DATABASE_URL for an external one) and REDIS_URL for an external Redis.
 */
export function requiredSecrets(app: NexusFile['app'], target: TargetConfig): RequiredSecret[] {
  const secrets: RequiredSecret[] = app.secrets.map((name) => ({ name, reason: 'listed in app.secrets', value: 'random' }));
  if (target.database === 'external') secrets.push({ name: 'DATABASE_URL', reason: 'database: external (the PostgreSQL URL the API uses)', value: 'url' });
  else secrets.push({ name: 'POSTGRES_PASSWORD', reason: 'database: host (the password of PostgreSQL on the host)', value: 'random' });
  if (target.redis === 'external') secrets.push({ name: 'REDIS_URL', reason: 'redis: external (the Redis URL the API uses)', value: 'url' });
  return secrets.filter((secret, index) => secrets.findIndex((other) => other.name === secret.name) === index);
}

/** A path as one shell word. */
const shellWord = (path: string) => (/^[\w./~-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`);

const EXAMPLE_URLS: Record<string, string> = {
  DATABASE_URL: 'postgres://USER:PASSWORD@HOST:5432/DATABASE',
  REDIS_URL: 'redis://:PASSWORD@HOST:6379/0',
};

/**
 * A shell line that appends the secret to the secrets file of `directory`, created private (mode 600): a
 * random value, or a URL to edit.
 */
export function appendSecretCommand(secret: RequiredSecret, directory: string): string {
  const file = join(directory, SECRETS_FILE);
  const value = secret.value === 'random' ? '$(openssl rand -hex 32)' : (EXAMPLE_URLS[secret.name] ?? 'URL');
  return `(umask 077 && mkdir -p ${shellWord(dirname(file))} && echo "${secret.name}=${value}" >> ${shellWord(file)})`;
}

