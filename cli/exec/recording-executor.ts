import { render, type RemoteCommand } from '../remote/shell';
import type { ExecResult, Executor } from './executor';

/**
 * Records what would run, and answers from a script of results (success by default): `--dry-run` prints
 * the record, and tests assert on it.
 */
export class RecordingExecutor implements Executor {
  readonly commands: string[] = [];

  constructor(
    readonly host = 'dry-run',
    private readonly answer: (command: string, stdin?: string) => Partial<ExecResult> = () => ({}),
  ) {}

  private record(command: RemoteCommand, stdin?: string): ExecResult {
    const rendered = render(command);
    this.commands.push(rendered);
    return { code: 0, signal: null, stdout: '', stderr: '', ...this.answer(rendered, stdin) };
  }

  run(command: RemoteCommand, options: { stdin?: string } = {}): Promise<ExecResult> {
    return Promise.resolve(this.record(command, options.stdin));
  }

  stream(command: RemoteCommand, onOutput: (chunk: string, from: 'stdout' | 'stderr') => void): Promise<ExecResult> {
    const result = this.record(command);
    if (result.stdout) onOutput(result.stdout, 'stdout');
    return Promise.resolve(result);
  }

  follow(command: RemoteCommand, onOutput: (chunk: string) => void): Promise<ExecResult> {
    return this.stream(command, onOutput);
  }

  upload(localFile: string, remoteFile: string): Promise<void> {
    this.commands.push(`# upload ${localFile} → ${remoteFile}`);
    return Promise.resolve();
  }

  download(remoteFile: string, localFile: string): Promise<void> {
    this.commands.push(`# download ${remoteFile} → ${localFile}`);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
