import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stopProcess, waitFor } from './components';

const WORKER = join(__dirname, '..', '..', 'dist', 'api', 'worker.js');

export interface WorkerProcess {
  child: ChildProcess;
  /** The worker's JSON log lines so far. */
  logs(): { msg: string; [field: string]: unknown }[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The built worker as the deploy runs it (`node dist/api/worker.js`): its own OS process, ready when it says so. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [WORKER], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const logs = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string });
  await waitFor(
    'the worker process',
    async () => {
      if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode}: ${stderr}${stdout}`);
      return logs().some((line) => line.msg === 'nexus worker ready');
    },
    30_000,
  );
  return { child, logs, stop: (signal = 'SIGTERM') => stopProcess(child, signal) };
}
