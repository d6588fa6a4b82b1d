import knex, { type Knex } from 'knex';
import { types as pgTypes } from 'pg';

const INT8_OID = 20;
const TIMESTAMPTZ_OID = 1184;

/**
 * PostgreSQL prints timestamptz as "2026-11-24 21:44:33.008434+00" in a UTC session. Clients of the old
 * backend read "2026-11-24T21:44:33.008434Z" (microseconds, Z), which a JS Date cannot carry, so the
 * value stays a string in exactly that form.
 */
export function timestamptzToIso(text: string): string {
  const match = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/.exec(text);
  if (!match) return new Date(text).toISOString().replace('Z', '000Z');
  return `${match[1]}T${match[2]}.${(match[3] ?? '').padEnd(6, '0')}Z`;
}

/** Row ids and counts are bigint in SQL; every value the API handles stays far below 2^53. */
function int8ToNumber(text: string): number {
  return Number(text);
}

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID) return int8ToNumber;
    if (oid === TIMESTAMPTZ_OID) return timestamptzToIso;
    return pgTypes.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

export interface DatabaseOptions {
  url: string;
  poolMax?: number;
  applicationName?: string;
  /**
   * PostgreSQL's `statement_timeout` for every connection of the pool, in milliseconds (0 or absent: none).
   * The API sets it; the CLI does not, so migrations, seeding and backups may run as long as they need.
   */
  statementTimeoutMs?: number;
  /** Where knex's own warnings go. Default: stderr, so that a CLI's stdout stays machine-readable. */
  warn?: (message: string) => void;
}

function toStderr(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** A knex instance for PostgreSQL with the project's type parsing and a UTC session time zone. */
export function createDatabase(options: DatabaseOptions): Knex {
  return knex({
    client: 'pg',
    connection: {
      connectionString: options.url,
      application_name: options.applicationName ?? 'nexus',
      types: typeParsers,
      // Sent in the startup packet, so the server enforces it from the first statement of every connection.
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    } as Knex.PgConnectionConfig,
    pool: {
      min: 0,
      max: options.poolMax ?? 10,
      afterCreate(connection: { query: (sql: string, done: (error: Error | null) => void) => void }, done: (error: Error | null, connection: unknown) => void) {
        connection.query("SET TIME ZONE 'UTC'", (error) => done(error, connection));
      },
    },
    acquireConnectionTimeout: 10_000,
    log: {
      warn: options.warn ?? toStderr,
      error: options.warn ?? toStderr,
      deprecate: options.warn ?? toStderr,
      debug: () => undefined,
    },
  });
}

export type { Knex };
