import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitFor } from './components';

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
