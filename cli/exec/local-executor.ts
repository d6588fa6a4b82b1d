import { spawn } from 'node:child_process';
import type { RemoteCommand } from '../remote/shell';
import type { ExecResult, Executor } from './executor';
import { copyPrivately } from './private-files';

/**
 * Runs the same argv builders on this machine (local backups use the scripts a host runs), without a
 * shell in between: the argv goes to spawn as it is.
 */
export class LocalExecutor implements Executor {
  readonly host = 'localhost';

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  run(command: RemoteCommand, options: { stdin?: string } = {}): Promise<ExecResult> {
    return this.spawn(command, () => undefined, undefined, options.stdin);
  }

  stream(command: RemoteCommand, onOutput: (chunk: string, from: 'stdout' | 'stderr') => void, signal?: AbortSignal): Promise<ExecResult> {
    return this.spawn(command, onOutput, signal);
  }

  follow(command: RemoteCommand, onOutput: (chunk: string) => void, signal: AbortSignal): Promise<ExecResult> {
    return this.spawn(command, (chunk) => onOutput(chunk), signal);
  }

  upload(localFile: string, remoteFile: string): Promise<void> {
    return copyPrivately(localFile, remoteFile);
  }

  download(remoteFile: string, localFile: string): Promise<void> {
    return copyPrivately(remoteFile, localFile);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private spawn(command: RemoteCommand, onOutput: (chunk: string, from: 'stdout' | 'stderr') => void, signal?: AbortSignal, stdin?: string): Promise<ExecResult> {
    const [program, ...args] = command;
    return new Promise((resolve, reject) => {
      const child = spawn(program as string, args, { env: this.env, signal, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        onOutput(chunk.toString('utf8'), 'stdout');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        onOutput(chunk.toString('utf8'), 'stderr');
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin ?? '');
      child.on('error', (error) => ((error as { name?: string }).name === 'AbortError' ? resolve({ code: null, signal: 'SIGTERM', stdout, stderr }) : reject(error)));
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }
}
