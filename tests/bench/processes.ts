import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { request } from 'node:http';
import { Redis } from 'ioredis';
import { findBinary, freePort } from '../support/components';

/** What the harness started, stopped in reverse order on every exit path (normal end, error, Ctrl-C). */
export class Cleanup {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];
  private running: Promise<void> | undefined;

  add(name: string, stop: () => Promise<void>): void {
    this.stops.push({ name, stop });
  }

  run(log: (line: string) => void): Promise<void> {
    this.running ??= (async () => {
      for (const { name, stop } of this.stops.reverse()) {
        try {
          await stop();
        } catch (error) {
          log(`cleanup: stopping ${name} failed: ${(error as Error).message}`);
        }
      }
    })();
    return this.running;
  }
}

/** Child processes still alive; the process `exit` hook kills them if an orderly stop never ran. */
const liveChildren = new Set<ChildProcess>();

export function killChildrenSync(): void {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A plain GET as autocannon sends it (no Accept-Encoding, no Accept), so the bytes are what the load sees. */
export function httpGet(url: string, timeoutMs = 30_000): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface StartedProcess {
  child: ChildProcess;
  pid: number;
  /** Last lines the process wrote to stderr, for error messages. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Spawns a long-running process; stdout goes to `stdoutFile` when given, stderr is kept (the tail) for diagnostics. */
export function startProcess(command: string, args: string[], options: SpawnOptions & { stdoutFile?: string }): StartedProcess {
  const stdoutFd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : undefined;
  const child = track(spawn(command, args, { ...options, stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'] }));
  if (stdoutFd !== undefined) closeSync(stdoutFd);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8_000);
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return { child, pid: child.pid, stderr: () => stderr, stop: () => stopChild(child) };
}

/** Resolves once `check` passes; fails at once, with the process's stderr, when the process exits first. */
export async function waitUntilReady(what: string, started: StartedProcess, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { exitCode, signalCode } = started.child;
    if (exitCode !== null || signalCode !== null) {
      throw new Error(`${what} exited before it was ready (code ${exitCode}, signal ${signalCode}):\n${started.stderr().trim()}`);
    }
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${started.stderr().trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface RunningRedis {
  url: string;
  /** Where the URL came from: REDIS_URL, or a redis-server started for this run. */
  source: 'REDIS_URL' | 'private redis-server';
  version: string;
}

/** REDIS_URL when set (loopback only), else a private redis-server on a free loopback port with nothing persisted. */
export async function startRedis(cleanup: Cleanup): Promise<RunningRedis> {
  const fromEnv = process.env.REDIS_URL;
  let url: string;
  let source: RunningRedis['source'];
  if (fromEnv) {
    assertLoopback(fromEnv, 'REDIS_URL');
    url = fromEnv;
    source = 'REDIS_URL';
  } else {
    const binary = findBinary('redis-server');
    if (!binary) throw new Error('redis-server is not installed and REDIS_URL is not set (apt-get install redis-server)');
    const port = await freePort();
    const redis = startProcess(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {});
    cleanup.add('redis-server', redis.stop);
    url = `redis://127.0.0.1:${port}`;
    source = 'private redis-server';
    await waitUntilReady('redis-server', redis, async () => (await redisCommand(url, (client) => client.ping())) === 'PONG', 10_000);
  }
  const info = await redisCommand(url, (client) => client.info('server'));
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  return { url, source, version };
}

async function redisCommand<T>(url: string, run: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await run(client);
  } finally {
    client.disconnect();
  }
}

/** The benchmark only ever talks to this machine. */
export function assertLoopback(url: string, what: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!loopback) throw new Error(`${what} must point at a loopback address (127.0.0.0/8, ::1, localhost), not ${host}`);
}
