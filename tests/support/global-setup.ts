import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '../../cli/services/dev-state';
import { startEmbeddedPostgres } from '../../cli/services/embedded-postgres';
import { createDatabase } from '../../db/connection';
import { migrateLatest } from '../../db/migrator';
import { freePort, STRICT } from './components';
import { adminQuery, DATABASE_PREFIX, TEMPLATE_PREFIX, withDatabase } from './database';
import { startRedisServer } from './redis-server';

interface Services {
  stops: (() => Promise<void>)[];
}

declare global {
  var __nexusTestServices: Services | undefined;
}

/** Drops databases left by earlier runs whose jest process is gone. */
async function dropLeftovers(url: string): Promise<void> {
  await adminQuery(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname LIKE $2',
      [`${TEMPLATE_PREFIX}%`, `${DATABASE_PREFIX}%`],
    );
    for (const { datname } of rows) {
      const pid = Number(/^(\d+)/.exec(datname.slice(datname.startsWith(TEMPLATE_PREFIX) ? TEMPLATE_PREFIX.length : DATABASE_PREFIX.length))?.[1]);
      if (pid && !isProcessAlive(pid)) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  }, url);
}

async function startPostgres(services: Services): Promise<string> {
  if (process.env.DATABASE_URL) return withDatabase(process.env.DATABASE_URL, 'postgres');
  const dir = mkdtempSync(join(tmpdir(), 'nexus-test-pg-'));
  // As root, embedded-postgres runs the server as `postgres`, which must be able to enter this directory.
  chmodSync(dir, 0o755);
  const cluster = await startEmbeddedPostgres({
    dataDir: join(dir, 'data'),
    port: await freePort(),
    persistent: false,
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
  });
  services.stops.push(() => cluster.stop());
  return cluster.url('postgres');
}

/**
 * Starts what the tests talk to: PostgreSQL (DATABASE_URL's server, or an embedded one) with a migrated
 * template database that each test file clones, and Redis (REDIS_URL, or a private redis-server).
 */
export default async function globalSetup(): Promise<void> {
  const services: Services = { stops: [] };
  globalThis.__nexusTestServices = services;
  process.env.NEXUS_TEST_RUN_PID = String(process.pid);

  // Every API log line of the run is kept here, and scanned for secrets at the end (global-teardown.ts).
  process.env.NEXUS_TEST_LOG_DIR = mkdtempSync(join(tmpdir(), 'nexus-test-logs-'));
  const admin = await startPostgres(services);
  process.env.NEXUS_TEST_PG_ADMIN_URL = admin;
  await dropLeftovers(admin);
  const template = `${TEMPLATE_PREFIX}${process.pid}`;
  await adminQuery((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(template)}`), admin);
  const db = createDatabase({ url: withDatabase(admin, template) });
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
  process.env.NEXUS_TEST_TEMPLATE_DB = template;
  services.stops.push(async () => {
    await adminQuery((client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(template)} WITH (FORCE)`), admin);
  });

  if (process.env.REDIS_URL) {
    process.env.NEXUS_TEST_REDIS_URL = process.env.REDIS_URL;
  } else {
    const redis = await startRedisServer();
    if (redis) {
      process.env.NEXUS_TEST_REDIS_URL = redis.url;
      services.stops.push(() => redis.stop());
    } else if (STRICT) {
      throw new Error('redis-server is not installed and REDIS_URL is not set (NEXUS_TEST_STRICT=1)');
    } else {
      process.stderr.write('[skip] Redis: redis-server not found and REDIS_URL unset; API tests use the in-process store\n');
    }
  }
}
