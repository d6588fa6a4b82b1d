import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopProcess, waitFor } from './components';
import { createTestDatabase, type TestDatabase } from './database';

const SERVER = join(__dirname, '..', '..', 'dist', 'api', 'server.js');

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** What the process wrote to stdout (its JSON log lines) so far. */
  stdout(): string;
}

/** The built API as production runs it (`npm start`): its own OS process, listening on a loopback port. */
export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH, ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.resume();
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the API process', async () => (await fetch(`${url}/health/liveness/`)).ok, 30_000);
  return { url, child, stdout: () => stdout };
}

export interface ApiDeployment {
  database: TestDatabase;
  processes: ApiProcess[];
  /** The Redis key prefix the processes share (their own, so runs never see each other's keys). */
  redisPrefix: string;
  stop(): Promise<void>;
}

/**
 * Several API processes sharing one fresh database and the run's Redis, like the app hosts of a deployment:
 * for the rules that must hold across processes (limits, lock-outs, sweeps). `env` adds to or overrides the
 * test settings.
 */
export async function startApiDeployment(count: number, env: Record<string, string> = {}): Promise<ApiDeployment> {
  const database = await createTestDatabase();
  const media = mkdtempSync(join(tmpdir(), 'nexus-processes-media-'));
  const redisPrefix = `test:processes-${randomBytes(4).toString('hex')}:`;
  const settings = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: process.env.NEXUS_TEST_REDIS_URL as string,
    REDIS_KEY_PREFIX: redisPrefix,
    JWT_SECRET: randomBytes(48).toString('base64'),
    MAIL_TRANSPORT: 'disabled',
    MEDIA_ROOT: media,
    LOG_LEVEL: 'warn',
    ...env,
  };
  const processes: ApiProcess[] = [];
  const stop = async () => {
    for (const { child } of processes) await stopProcess(child);
    await database.drop();
    rmSync(media, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < count; index += 1) processes.push(await startApiProcess(settings));
  } catch (error) {
    await stop();
    throw error;
  }
  return { database, processes, redisPrefix, stop };
}
