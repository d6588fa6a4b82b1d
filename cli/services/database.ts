import { createDatabase, type Knex } from '../../db/connection';
import { NexusError, UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import { redactUrl } from '../redact';
import { runningDevState } from './dev-state';

export interface DatabaseTarget {
  url: string;
  source: 'flag' | 'environment' | 'nexus dev';
}

/** Precedence: --database-url, then DATABASE_URL, then the database of a `nexus dev` running here. */
export function resolveDatabaseTarget(flag: string | undefined): DatabaseTarget {
  if (flag) return { url: flag, source: 'flag' };
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, source: 'environment' };
  const dev = runningDevState();
  if (dev) return { url: dev.databaseUrl, source: 'nexus dev' };
  throw new UsageError('No database to work on: DATABASE_URL is not set.', [
    'pass --database-url postgres://user:pass@host:5432/db',
    'or export DATABASE_URL',
    'or start the local stack with `nexus dev`',
  ]);
}

/**
 * Opens the database and proves it answers, so a wrong URL fails here with a clear message instead of in
 * the middle of a migration.
 */
export async function openDatabase(target: DatabaseTarget): Promise<Knex> {
  if (!/^postgres(ql)?:\/\//.test(target.url)) {
    throw new UsageError(`Not a PostgreSQL URL: ${redactUrl(target.url)}`, ['use postgres://user:pass@host:5432/db']);
  }
  // knex's own connection warnings would repeat the error reported below, with a stack trace.
  const db = createDatabase({ url: target.url, poolMax: 4, applicationName: 'nexus-cli', warn: () => undefined });
  try {
    await db.raw('SELECT 1');
    return db;
  } catch (error) {
    await db.destroy();
    const reason = error instanceof Error ? error.message : String(error);
    throw new NexusError(`Cannot reach the database at ${redactUrl(target.url)} (${reason})`, {
      code: 'DATABASE_UNAVAILABLE',
      exitCode: ExitCode.DATABASE_UNAVAILABLE,
      suggestions: ['check that PostgreSQL is running and the URL, user and password are right'],
      cause: error,
    });
  }
}
