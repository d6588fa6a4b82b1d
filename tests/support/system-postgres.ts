import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createDatabase, type Knex } from '../../db/connection';
import { migrateLatest } from '../../db/migrator';
import { findBinary } from './components';
import { adminQuery, withDatabase } from './database';

/**
 * The machine's own PostgreSQL (Debian's, like a host's). Tests that run pg_dump and pg_restore use it
 * rather than the harness's embedded server: the Debian tools refuse a server newer than themselves.
 */
export const SYSTEM_POSTGRES = process.env.NEXUS_TEST_SYSTEM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const systemPostgresAvailable = (() => {
  const url = new URL(SYSTEM_POSTGRES);
  try {
    execFileSync('pg_isready', ['-q', '-h', url.hostname, '-p', url.port || '5432'], { stdio: 'ignore' });
    return ['psql', 'pg_dump', 'pg_restore'].every((tool) => findBinary(tool) !== undefined);
  } catch {
    return false;
  }
})();

export interface SystemDatabase {
  name: string;
  url: string;
  db: Knex;
  /** Drops it and every database named after it (restored copies, scratch databases, replaced ones). */
  drop(): Promise<void>;
}

/** A fresh database on the machine's PostgreSQL, migrated unless `migrate` is false. */
export async function createSystemDatabase(options: { migrate?: boolean } = {}): Promise<SystemDatabase> {
  const name = `nexus_sys_${process.pid}_${randomBytes(3).toString('hex')}`;
  await adminQuery((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`), SYSTEM_POSTGRES);
  const url = withDatabase(SYSTEM_POSTGRES, name);
  const db = createDatabase({ url, poolMax: 8, applicationName: 'nexus-test' });
  if (options.migrate !== false) await migrateLatest(db);
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy();
      await adminQuery(async (client) => {
        const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $1 || '\\_%'", [name]);
        for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
      }, SYSTEM_POSTGRES);
    },
  };
}

/** Every table's row count and an md5 over its sorted rows, computed independently of the code under test. */
export async function tableDigests(url: string): Promise<Record<string, string>> {
  return adminQuery(async (client) => {
    await client.query("SET TimeZone = 'UTC'");
    const { rows: tables } = await client.query<{ name: string }>("SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    const digests: Record<string, string> = {};
    for (const { name } of tables) {
      const { rows } = await client.query<{ count: string; digest: string }>(`SELECT count(*) AS count, md5(coalesce(string_agg(r, '|' ORDER BY r), '')) AS digest FROM (SELECT t::text AS r FROM ${name} t) s`);
      digests[name] = `${rows[0]?.count}:${rows[0]?.digest}`;
    }
    return digests;
  }, url);
}
