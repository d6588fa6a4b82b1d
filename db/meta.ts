import type { Knex } from 'knex';

const ENVIRONMENT_KEY = 'environment';

/** The environment recorded in the database itself (nexus_meta), or undefined before the first migration. */
export async function recordedEnvironment(db: Knex): Promise<string | undefined> {
  if (!(await db.schema.hasTable('nexus_meta'))) return undefined;
  const row = await db('nexus_meta').where({ key: ENVIRONMENT_KEY }).first<{ value: string } | undefined>('value');
  return row?.value;
}

/**
 * Records which environment a database serves. A production marker is never downgraded, so a later
 * command run with the wrong NODE_ENV still sees that the database is production.
 */
export async function recordEnvironment(db: Knex, environment: string): Promise<string> {
  const current = await recordedEnvironment(db);
  if (current === 'production' || current === environment) return current;
  await db('nexus_meta')
    .insert({ key: ENVIRONMENT_KEY, value: environment, updated_at: db.fn.now() })
    .onConflict('key')
    .merge();
  return environment;
}
