import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { loadConfig, type Config } from '../../api/config';
import { createLogger } from '../../api/infra/logger';
import { createRuntime, type Runtime } from '../../api/runtime';
import type { Knex } from '../../db/connection';
import { createTestDatabase, type TestDatabase } from './database';

export interface TestClock {
  now(): number;
  /** Moves time forward for token expiry checks. */
  advance(seconds: number): void;
}

export interface TestApi {
  /** The request listener the server uses (the Express app behind the cache fast lane). */
  app: (req: IncomingMessage, res: ServerResponse) => void;
  http(): request.Agent;
  db: Knex;
  database: TestDatabase;
  config: Config;
  runtime: Runtime;
  clock: TestClock;
  /** Every log line the API wrote, parsed. */
  logs(): Record<string, unknown>[];
  close(): Promise<void>;
}

export const hasRedis = Boolean(process.env.NEXUS_TEST_REDIS_URL);

/**
 * The API in-process against its own freshly cloned database and a private Redis key prefix. Settings are
 * the test defaults overridden by `env` (same variable names as production).
 */
export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const database = await createTestDatabase();
  const mediaRoot = mkdtempSync(join(tmpdir(), 'nexus-test-media-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    ...(process.env.NEXUS_TEST_REDIS_URL ? { REDIS_URL: process.env.NEXUS_TEST_REDIS_URL } : {}),
    REDIS_KEY_PREFIX: `test:${database.name}:`,
    JWT_SECRET: randomBytes(48).toString('base64'),
    RATE_LIMIT_ENABLED: 'false',
    MAIL_TRANSPORT: 'disabled',
    LOG_LEVEL: 'info',
    MEDIA_ROOT: mediaRoot,
    ...env,
  });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      if (process.env.NEXUS_TEST_LOG_DIR) appendFileSync(join(process.env.NEXUS_TEST_LOG_DIR, `api-${process.pid}.log`), chunk);
      done();
    },
  });
  let offsetMs = 0;
  const clock: TestClock = { now: () => Date.now() + offsetMs, advance: (seconds) => (offsetMs += seconds * 1000) };
  const runtime = createRuntime(config, createLogger({ level: config.log.level }, sink), { now: clock.now });
  return {
    app: runtime.handler,
    http: () => request.agent(runtime.handler),
    db: database.db,
    database,
    config,
    runtime,
    clock,
    logs: () => lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    async close() {
      await runtime.close();
      await database.drop();
      rmSync(mediaRoot, { recursive: true, force: true });
    },
  };
}
