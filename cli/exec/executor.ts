import type { RemoteCommand } from '../remote/shell';

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs remote commands on one host. SshExecutor does it over SSH; RecordingExecutor only records (--dry-run, tests). */
export interface Executor {
  /** The host, as the operator knows it (for messages). */
  readonly host: string;
  run(command: RemoteCommand, options?: { stdin?: string }): Promise<ExecResult>;
  /**
   * Runs a long command, passing output as it arrives, until it ends or `signal` aborts: aborting closes the
   * channel, which ends the remote process too (no orphan left following a log).
   */
  stream(command: RemoteCommand, onOutput: (chunk: string, from: 'stdout' | 'stderr') => void, signal?: AbortSignal): Promise<ExecResult>;
  /**
   * `stream` for commands that may sit silent forever (following a log): they run on a pseudo-terminal, so
   * closing the channel hangs the whole remote process group up, whether or not it is writing.
   */
  follow(command: RemoteCommand, onOutput: (chunk: string) => void, signal: AbortSignal): Promise<ExecResult>;
  /** Copies a file there, mode 600 (what nexus moves are backups, build contexts and images). */
  upload(localFile: string, remoteFile: string): Promise<void>;
  /** Copies a file here, created mode 600 whatever the umask (downloads are backups). */
  download(remoteFile: string, localFile: string): Promise<void>;
  close(): Promise<void>;
}
