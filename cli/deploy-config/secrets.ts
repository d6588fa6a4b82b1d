import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

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
