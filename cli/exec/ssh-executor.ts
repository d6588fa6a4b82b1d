import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NodeSSH } from 'node-ssh';
import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import { render, type RemoteCommand } from '../remote/shell';
import type { ExecResult, Executor } from './executor';
import { writePrivately } from './private-files';

export interface SshTarget {
  address: string;
  port: number;
  user: string;
  keyPath: string;
  /** The pinned host key fingerprint (SHA256:… as `ssh-keygen -lf` prints it). */
  hostKey: string;
  connectTimeoutSeconds: number;
}

/** `SHA256:<base64 without padding>` of a raw host key blob, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function connectionError(target: SshTarget, error: unknown, seenKey: string | undefined): NexusError {
  const where = `${target.user}@${target.address}:${target.port}`;
  const message = error instanceof Error ? error.message : String(error);
  if (seenKey !== undefined && seenKey !== target.hostKey) {
    return new NexusError(`${where} presented host key ${seenKey}, not the pinned ${target.hostKey}; nothing was sent to it.`, {
      code: 'HOST_KEY_MISMATCH',
      exitCode: ExitCode.HOST_KEY_MISMATCH,
      suggestions: ['if the host was rebuilt, check its key on the console (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`) and update host_key in nexus.yml'],
    });
  }
  if ((error as { level?: string }).level === 'client-authentication') {
    return new NexusError(`${where} refused the key ${target.keyPath}.`, {
      code: 'SSH_AUTH_FAILED',
      exitCode: ExitCode.REMOTE_UNREACHABLE,
      suggestions: [`check ssh.user and ssh.key in nexus.yml, and that the key is in ~${target.user}/.ssh/authorized_keys on the host`],
    });
  }
  return new NexusError(`Could not reach ${where}: ${message}`, {
    code: 'SSH_UNREACHABLE',
    exitCode: ExitCode.REMOTE_UNREACHABLE,
    suggestions: ['check the address, the port and the firewall; `ssh -p <port> <user>@<host>` should work from here'],
  });
}

/** Commands over one SSH connection to a host whose key must match the pinned fingerprint. */
export class SshExecutor implements Executor {
  private constructor(
    private readonly ssh: NodeSSH,
    readonly host: string,
  ) {}

  static async connect(target: SshTarget): Promise<SshExecutor> {
    let privateKey: string;
    try {
      privateKey = readFileSync(target.keyPath, 'utf8');
    } catch (error) {
      throw new NexusError(`Cannot read the SSH key ${target.keyPath}: ${(error as Error).message}`, { code: 'SSH_KEY_UNREADABLE', exitCode: ExitCode.CONFIG });
    }
    const ssh = new NodeSSH();
    let seenKey: string | undefined;
    try {
      await ssh.connect({
        host: target.address,
        port: target.port,
        username: target.user,
        privateKey,
        readyTimeout: target.connectTimeoutSeconds * 1000,
        // Nothing is sent before the key checks out: no password prompt, no agent, no fallback.
        hostVerifier: (key: Buffer) => {
          seenKey = fingerprintOf(key);
          return seenKey === target.hostKey;
        },
        keepaliveInterval: 10_000,
      });
    } catch (error) {
      ssh.dispose();
      throw connectionError(target, error, seenKey);
    }
    return new SshExecutor(ssh, target.address);
  }

  async run(command: RemoteCommand, options: { stdin?: string } = {}): Promise<ExecResult> {
    return this.ssh.execCommand(render(command), { stdin: options.stdin, noTrim: true });
  }

  async stream(command: RemoteCommand, onOutput: (chunk: string, from: 'stdout' | 'stderr') => void, signal?: AbortSignal, terminal = false): Promise<ExecResult> {
    let close: (() => void) | undefined;
    const abort = () => close?.();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      return await this.ssh.execCommand(render(command), {
        noTrim: true,
        execOptions: terminal ? { pty: { term: 'dumb' } } : undefined,
        onChannel: (channel) => {
          close = () => channel.close();
          if (signal?.aborted) channel.close();
        },
        onStdout: (chunk) => onOutput(chunk.toString('utf8'), 'stdout'),
        onStderr: (chunk) => onOutput(chunk.toString('utf8'), 'stderr'),
      });
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  async follow(command: RemoteCommand, onOutput: (chunk: string) => void, signal: AbortSignal): Promise<ExecResult> {
    // A pty merges stderr into stdout and ends lines with \r\n; the caller wants plain lines.
    return this.stream(command, (chunk) => onOutput(chunk.replace(/\r\n/g, '\n')), signal, true);
  }

  async upload(localFile: string, remoteFile: string): Promise<void> {
    // Mode 600 before any data is written (sftp would create it 666 minus the host's umask).
    await this.ssh.putFile(localFile, remoteFile, null, { mode: 0o600 });
  }

  async download(remoteFile: string, localFile: string): Promise<void> {
    // getFile alone creates the file 666 minus the umask: readable by everyone under a common umask.
    await writePrivately(localFile, (temporary) => this.ssh.getFile(temporary, remoteFile, null, { mode: 0o600 }));
  }

  close(): Promise<void> {
    this.ssh.dispose();
    return Promise.resolve();
  }
}
