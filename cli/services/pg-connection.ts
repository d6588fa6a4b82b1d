import { ON_HOST_DATABASE } from '../deploy-config/app-env';
import type { DeployTarget } from '../deploy-config/load';
import { NexusError, UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import { redactUrl } from '../redact';

/** A database as the PostgreSQL tools take it: libpq's PG* variables (no password on a command line). */
export interface PgConnection {
  database: string;
  environment: Record<string, string>;
}

const QUERY_VARIABLES: Record<string, string> = { sslmode: 'PGSSLMODE', sslrootcert: 'PGSSLROOTCERT', host: 'PGHOST', port: 'PGPORT', options: 'PGOPTIONS' };

export function pgConnection(url: string): PgConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`Not a PostgreSQL URL: ${redactUrl(url)}`, ['use postgres://user:pass@host:5432/db']);
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new UsageError(`Not a PostgreSQL URL: ${redactUrl(url)}`, ['use postgres://user:pass@host:5432/db']);
  const database = decodeURIComponent(parsed.pathname.slice(1));
  if (!database) throw new UsageError(`The URL names no database: ${redactUrl(url)}`, ['end it with /<database>']);
  const environment: Record<string, string> = { PGDATABASE: database, PGAPPNAME: 'nexus-backup' };
  if (parsed.hostname) environment.PGHOST = decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, ''));
  if (parsed.port) environment.PGPORT = parsed.port;
  if (parsed.username) environment.PGUSER = decodeURIComponent(parsed.username);
  if (parsed.password) environment.PGPASSWORD = decodeURIComponent(parsed.password);
  for (const [name, value] of parsed.searchParams) {
    const variable = QUERY_VARIABLES[name];
    if (variable) environment[variable] = value;
  }
  return { database, environment };
}

/**
 * A target's database: the DATABASE_URL secret's (external), or the on-host service's own database and user
 * (`database: host`), which the tools reach over the container's local socket without a password.
 */
export function targetPgConnection(deploy: DeployTarget): PgConnection {
  if (deploy.target.database !== 'host') {
    try {
      return pgConnection(deploy.secrets.get('DATABASE_URL')?.reveal() ?? '');
    } catch (error) {
      // A secret, not a flag: a configuration error (exit 3) that names where the value comes from.
      if (!(error instanceof UsageError)) throw error;
      throw new NexusError(`The DATABASE_URL secret of target ${deploy.name} (database: external) is not usable: ${error.message}`, {
        code: 'DEPLOY_CONFIG',
        exitCode: ExitCode.CONFIG,
        suggestions: ['set DATABASE_URL in the environment or .nexus/secrets to postgres://user:pass@host:5432/db'],
      });
    }
  }
  const { user, database } = ON_HOST_DATABASE;
  return { database, environment: { PGDATABASE: database, PGUSER: user, PGAPPNAME: 'nexus-backup' } };
}
