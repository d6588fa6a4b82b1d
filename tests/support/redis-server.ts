import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { findBinary, freePort, stopProcess, waitFor } from './components';

export interface RunningRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * A private redis-server on a free loopback port, nothing persisted.
 * @param settings further command-line settings, e.g. `['--maxmemory', '2mb']`
 */
export async function startRedisServer(settings: string[] = []): Promise<RunningRedis | undefined> {
  const binary = findBinary('redis-server');
  if (!binary) return undefined;
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...settings], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  await waitFor('redis-server', async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  });
  return {
    url,
    stop: () => stopProcess(child),
  };
}
