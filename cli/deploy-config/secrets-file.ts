import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseEnv } from 'node:util';
import { assertPrivate, EXAMPLE_VALUES, SECRETS_FILE, type RequiredSecret } from './secrets';

/** What became of each secret: generated here, kept from the file, left to the environment, or to fill in. */
export type SecretStatus = 'generated' | 'kept' | 'environment' | 'placeholder';

export interface SecretsFileReport {
  file: string;
  secrets: (RequiredSecret & { status: SecretStatus })[];
}

const HEADER = [
  '# Secrets of this project: KEY=value lines, read by nexus (the environment wins over this file).',
  '# Mode 600 in a 700 directory, git-ignored. Never commit it; keep a copy of BACKUP_SIGNING_KEY away from the backups.',
];

/**
 * Creates `.nexus/secrets` (mode 600, in a directory created 700) or completes it: a random value for each secret
 * that can be generated, a commented example line for each URL to fill in. What the file already holds
 * (values and commented lines) is never changed, and a secret the environment sets is left to it.
 */
export function writeSecretsFile(directory: string, needed: readonly RequiredSecret[], env: NodeJS.ProcessEnv = process.env): SecretsFileReport {
  const file = join(directory, SECRETS_FILE);
  // A new .nexus/ is private. An existing one keeps its mode: `nexus dev` may have opened it (o+x) for the
  // embedded PostgreSQL's own user, and the file's mode 600 is what keeps the secrets private.
  if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const existing = existsSync(file) ? readFileSync(assertPrivate(file), 'utf8') : undefined;
  const values = parseEnv(existing ?? '');
  const commented = new Set([...(existing ?? '').matchAll(/^#\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]));
  const lines: string[] = [];
  const secrets = needed.map((secret) => {
    const status = statusOf(secret, values, env);
    if (status === 'generated') lines.push(`# ${secret.reason}`, `${secret.name}=${randomBytes(32).toString('hex')}`);
    if (status === 'placeholder' && !commented.has(secret.name)) lines.push(`# ${secret.reason}: uncomment, and put the real ${secret.value === 'url' ? 'URL' : 'value'} in`, `# ${secret.name}=${EXAMPLE_VALUES[secret.name] ?? 'VALUE'}`);
    return { ...secret, status };
  });
  if (existing === undefined) writeFileSync(file, `${[...HEADER, ...lines].join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  else if (lines.length > 0) appendFileSync(file, `${existing.endsWith('\n') || existing === '' ? '' : '\n'}${lines.join('\n')}\n`);
  return { file, secrets };
}

function statusOf(secret: RequiredSecret, values: Record<string, string | undefined>, env: NodeJS.ProcessEnv): SecretStatus {
  if (values[secret.name]) return 'kept';
  if (env[secret.name]) return 'environment';
  return secret.value === 'random' ? 'generated' : 'placeholder';
}

/**
 * Makes git ignore `.nexus/` (secrets, local backups, dev state): the entry is added to the directory's
 * .gitignore, which is created when there is none.
 * @returns the .gitignore changed, or undefined when it already had the entry
 */
export function ignoreStateDirectory(directory: string): string | undefined {
  const file = join(directory, '.gitignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (/^\/?\.nexus(\/|\/\*)?\s*$/m.test(text)) return undefined;
  appendFileSync(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}# nexus: secrets, local backups and dev state\n.nexus/\n`);
  return file;
}
