import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDatabase, type Knex } from '../../db/connection';

/** Per-run names carry the jest process id, so leftovers of a crashed run can be recognised and dropped. */
export const TEMPLATE_PREFIX = 'nexus_test_tpl_';
export const DATABASE_PREFIX = 'nexus_t_';

export function adminUrl(): string {
  const url = process.env.NEXUS_TEST_PG_ADMIN_URL;
  if (!url) throw new Error('NEXUS_TEST_PG_ADMIN_URL is not set: run the tests through jest (tests/support/global-setup.ts)');
  return url;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function adminQuery<T>(run: (client: Client) => Promise<T>, url = adminUrl()): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  db: Knex;
  drop(): Promise<void>;
}

/** A fresh, fully migrated database cloned from the run's template (fast: a file copy, no migrations). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.NEXUS_TEST_TEMPLATE_DB as string;
  const name = `${DATABASE_PREFIX}${process.env.NEXUS_TEST_RUN_PID}_${randomBytes(4).toString('hex')}`;
  await adminQuery(async (client) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(template)}`);
        return;
      } catch (error) {
        // "source database is being accessed by other users": another worker is cloning right now.
        if ((error as { code?: string }).code !== '55006' || attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
  const url = withDatabase(adminUrl(), name);
  const db = createDatabase({ url, poolMax: 10, applicationName: 'nexus-test' });
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy();
      await adminQuery((client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
    },
  };
}

/** An empty database (no tables), for testing migrations themselves. */
export async function createEmptyDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${DATABASE_PREFIX}${process.env.NEXUS_TEST_RUN_PID}_${randomBytes(4).toString('hex')}`;
  await adminQuery((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  return {
    name,
    url: withDatabase(adminUrl(), name),
    async drop() {
      await adminQuery((client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
    },
  };
}
