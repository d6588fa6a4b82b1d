import type { Knex } from 'knex';

/** Facts the database keeps about itself (table nexus_meta); undefined before the first migration. */
export async function readMeta(db: Knex, key: string): Promise<string | undefined> {
  if (!(await db.schema.hasTable('nexus_meta'))) return undefined;
  const row = await db('nexus_meta').where({ key }).first<{ value: string } | undefined>('value');
  return row?.value;
}

export async function writeMeta(db: Knex, key: string, value: string): Promise<void> {
  await db('nexus_meta').insert({ key, value, updated_at: db.fn.now() }).onConflict('key').merge();
}

const ENVIRONMENT_KEY = 'environment';

/** The environment recorded in the database itself, or undefined when none was recorded. */
export function recordedEnvironment(db: Knex): Promise<string | undefined> {
  return readMeta(db, ENVIRONMENT_KEY);
}

/**
 * Records which environment a database serves. A production marker is never downgraded, so a later
 * command run with the wrong NODE_ENV still sees that the database is production.
 */
export async function recordEnvironment(db: Knex, environment: string): Promise<string> {
  const current = await recordedEnvironment(db);
  if (current === 'production' || current === environment) return current;
  await writeMeta(db, ENVIRONMENT_KEY, environment);
  return environment;
}
