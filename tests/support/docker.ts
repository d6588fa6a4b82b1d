import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findBinary, stopProcess, waitFor } from './components';

/** The engine and a client old enough for it (Debian's docker.io); any newer client negotiates down. */
export const dockerAvailable = Boolean(findBinary('dockerd') && findBinary('docker') && findBinary('busybox'));

export interface RunningDockerd {
  /** DOCKER_HOST for this daemon. */
  host: string;
  docker(args: string[], options?: { input?: string | Buffer }): string;
  stop(): Promise<void>;
}

/**
 * A private Docker engine: its own socket, data and exec roots under /tmp, no default bridge and no
 * iptables rules (it never touches the machine's networking). Containers join networks the test creates.
 */
export async function startDockerd(): Promise<RunningDockerd> {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const child: ChildProcess = spawn(
    findBinary('dockerd') as string,
    ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', host, '--pidfile', join(dir, 'docker.pid'), '--bridge=none', '--iptables=false', '--ip6tables=false'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  const docker = (args: string[], options: { input?: string | Buffer } = {}) =>
    execFileSync(findBinary('docker') as string, args, { env: { ...process.env, DOCKER_HOST: host }, encoding: 'utf8', input: options.input, maxBuffer: 64 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
  await waitFor(`dockerd (${log.trim().split('\n').pop() ?? ''})`, async () => {
    if (child.exitCode !== null) throw new Error(`dockerd exited: ${log}`);
    try {
      docker(['version', '--format', '{{.Server.Version}}']);
      return true;
    } catch {
      return false;
    }
  }, 30_000);
  return {
    host,
    docker,
    stop: async () => {
      for (const id of docker(['ps', '-aq']).split('\n').filter(Boolean)) docker(['rm', '-f', id]);
      await stopProcess(child);
      // dockerd leaves its network namespace file mounted under exec/: unmount what is left before deleting.
      const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '').filter((point) => point.startsWith(`${dir}/`));
      for (const point of mounts.reverse()) execFileSync('umount', ['-l', point], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Shared libraries node and the native addons in node_modules link against (glibc's family and the C++ runtime). */
const RUNTIME_LIBRARIES = ['libstdc++.so.6', 'libgcc_s.so.1', 'libdl.so.2', 'libpthread.so.0', 'librt.so.1', 'libm.so.6', 'libc.so.6'];

/**
 * A base image made offline (no registry is reachable): busybox for the shell and tools, this machine's node
 * and npm, their libraries, and the machine's CA bundle (npm's registry is reached through a TLS proxy).
 * It stands in for node:20-bookworm-slim through the Dockerfile's BUILD_IMAGE/RUNTIME_IMAGE arguments.
 */
export function importNodeBaseImage(dockerd: RunningDockerd, tag: string): void {
  const rootfs = mkdtempSync(join(tmpdir(), 'nexus-rootfs-'));
  try {
    const node = realpathSync(findBinary('node') as string);
    for (const dir of ['bin', 'usr/bin', 'usr/local/bin', 'usr/lib/node_modules', 'etc/ssl/certs', 'tmp', 'root']) mkdirSync(join(rootfs, dir), { recursive: true });
    copyFileSync(node, join(rootfs, 'usr/local/bin/node'));
    copyFileSync(findBinary('busybox') as string, join(rootfs, 'bin/busybox'));
    for (const applet of ['sh', 'mkdir', 'chown', 'chmod', 'rm', 'cp', 'ls', 'cat', 'ln', 'mv', 'sleep', 'id', 'env']) symlinkSync('busybox', join(rootfs, 'bin', applet));
    symlinkSync('/bin/busybox', join(rootfs, 'usr/bin/env'));
    const libraries = new Set(execFileSync('ldd', [node], { encoding: 'utf8' }).match(/\/\S+/g) ?? []);
    for (const name of RUNTIME_LIBRARIES) for (const dir of ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/lib']) if (existsSync(join(dir, name))) libraries.add(join(dir, name));
    for (const library of libraries) {
      mkdirSync(join(rootfs, dirname(library)), { recursive: true });
      copyFileSync(library, join(rootfs, library));
    }
    const npm = dirname(dirname(realpathSync(findBinary('npm') as string)));
    cpSync(npm, join(rootfs, 'usr/lib/node_modules/npm'), { recursive: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/bin/npx'));
    copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(rootfs, 'etc/ssl/certs/ca-certificates.crt'));
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/sh\n');
    const archive = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 1024 * 1024 * 1024 });
    dockerd.docker(['import', '-c', 'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt', '-', tag], { input: archive });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/**
 * Forwards connections from an address containers can reach (their network's gateway) to a service that
 * listens on loopback only, such as the machine's PostgreSQL and Redis.
 */
export async function forwardPort(listenHost: string, listenPort: number, targetPort: number): Promise<{ close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server: Server = createServer((incoming) => {
    const outgoing = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [incoming, outgoing]) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    }
    incoming.pipe(outgoing).pipe(incoming);
    incoming.on('error', () => outgoing.destroy());
    outgoing.on('error', () => incoming.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(listenPort, listenHost, resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}
