import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, stopProcess, waitFor } from './components';

export interface RunningSshd {
  address: '127.0.0.1';
  port: number;
  /** The user the test logs in as (the one running the tests). */
  user: string;
  /** A private key the server accepts. */
  clientKey: string;
  /** The file sshd reads the accepted keys from (its AuthorizedKeysFile). */
  authorizedKeys: string;
  /** A key the server does not accept. */
  strangerKey: string;
  /** The server's host key fingerprint, as `ssh-keygen -lf` prints it. */
  hostKey: string;
  /** A fingerprint of another key, for mismatch tests. */
  otherHostKey: string;
  /** A scratch directory on the "host" for the test's remote files. */
  remoteRoot: string;
  stop(): Promise<void>;
}

export const sshdAvailable = Boolean(findBinary('sshd') && findBinary('ssh-keygen'));

function keygen(file: string, comment: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file, '-C', comment]);
  return execFileSync('ssh-keygen', ['-lf', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
}

/**
 * A private sshd on a free loopback port (tooling-notes §5): its own host key, key-only login for the
 * current user, nothing else reachable (no TCP forwarding unless `allowTcpForwarding`). Remote commands run on
 * this machine, so tests keep their remote files under `remoteRoot`.
 */
export async function startSshd(options: { allowTcpForwarding?: boolean; /** More loopback addresses it answers on, as other "hosts" of one machine. */ alsoListenOn?: string[] } = {}): Promise<RunningSshd> {
  const sshd = findBinary('sshd') as string;
  const dir = mkdtempSync(join(tmpdir(), 'nexus-sshd-'));
  chmodSync(dir, 0o700);
  const hostKey = keygen(join(dir, 'host_ed25519'), 'nexus-test-host');
  const otherHostKey = keygen(join(dir, 'other_host_ed25519'), 'nexus-test-other-host');
  keygen(join(dir, 'client_ed25519'), 'nexus-test-client');
  keygen(join(dir, 'stranger_ed25519'), 'nexus-test-stranger');
  copyFileSync(join(dir, 'client_ed25519.pub'), join(dir, 'authorized_keys'));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  const remoteRoot = join(dir, 'remote');
  mkdirSync(remoteRoot);
  const port = await freePort();
  const user = userInfo().username;
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      ...['127.0.0.1', ...(options.alsoListenOn ?? [])].map((address) => `ListenAddress ${address}`),
      `HostKey ${join(dir, 'host_ed25519')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `AllowUsers ${user}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The key files live under /tmp (mode 1777), which StrictModes refuses.
      'StrictModes no',
      // Off unless a test checks that a key's own restrictions refuse forwarding where the server allows it.
      `AllowTcpForwarding ${options.allowTcpForwarding ? 'yes' : 'no'}`,
      'X11Forwarding no',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
    ].join('\n'),
  );
  // sshd insists on its privilege-separation directory, which exists only when the system sshd has run.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn(sshd, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitFor(`sshd on ${port} (${stderr.trim()})`, () =>
    new Promise<boolean>((resolve) => {
      if (child.exitCode !== null) return resolve(false);
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    }),
  );
  return {
    address: '127.0.0.1',
    port,
    user,
    clientKey: join(dir, 'client_ed25519'),
    authorizedKeys: join(dir, 'authorized_keys'),
    strangerKey: join(dir, 'stranger_ed25519'),
    hostKey,
    otherHostKey,
    remoteRoot,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A nexus.yml target on the test sshd (its one host, key, user and authorized_keys), with `settings` merged in. */
export function sshdTarget(sshd: RunningSshd, settings: Record<string, unknown>): Record<string, unknown> {
  return {
    hosts: [{ address: '127.0.0.1', host_key: sshd.hostKey }],
    ssh: { user: sshd.user, port: sshd.port, key: sshd.clientKey, authorized_keys: sshd.authorizedKeys },
    domains: ['shop.example.com'],
    ...settings,
  };
}
