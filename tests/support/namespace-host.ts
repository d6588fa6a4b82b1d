import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request, createServer, type Server } from 'node:http';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, stopProcess, waitFor } from './components';
import { DEBIAN_MIRROR, DEBIAN_SUITE, debootstrapAvailable, debootstrapArchive } from './debootstrap';

/**
 * A disposable Debian host for tests that change a whole system (provisioning): a debootstrap root file
 * system, chrooted in its own network, mount, PID and UTS namespaces, reached over a veth pair. Its sshd
 * lets root in with a test key; apt reaches Debian's mirror through a proxy on the veth's host side that
 * forwards to the mirror only. Nothing it does (packages, users, firewall rules, daemons) touches this
 * machine, and stopping it ends every process it started.
 */
export interface NamespaceHost {
  address: string;
  port: 22;
  /** Root's key (the operator's, in provisioning tests). */
  clientKey: string;
  hostKey: string;
  rootfs: string;
  /** Runs a command inside the host as root, for assertions. */
  exec(command: string): string;
  /** The ssh command line an operator would type to reach the host as `user` (with the operator's key), up to the destination. */
  ssh(user?: string): string[];
  stop(): Promise<void>;
}

const MIRROR = DEBIAN_MIRROR;
const BASE_PACKAGES = ['openssh-server', 'sudo', 'ca-certificates', 'iproute2', 'procps'];

export const namespaceHostAvailable = debootstrapAvailable && Boolean(findBinary('ip') && findBinary('unshare') && findBinary('chroot') && findBinary('ssh-keygen'));

/** debootstrap once per machine (about a minute); later runs unpack the cached archive. */
function unpackRootfs(rootfs: string): void {
  execFileSync('tar', ['-C', rootfs, '-xf', debootstrapArchive(`debootstrap-${DEBIAN_SUITE}-${BASE_PACKAGES.join('_')}`, BASE_PACKAGES)]);
  // The archive's top directory came from mkdtemp (0700): a host's / must be traversable by every user.
  chmodSync(rootfs, 0o755);
}

/** An HTTP proxy for apt that forwards to the Debian mirror and refuses every other destination. */
function startMirrorProxy(address: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${MIRROR}`);
    if (url.hostname !== MIRROR || url.protocol !== 'http:') {
      res.writeHead(403).end(`only ${MIRROR} is reachable from a test host`);
      return;
    }
    const upstream = request({ host: MIRROR, port: 80, path: `${url.pathname}${url.search}`, method: req.method, headers: { ...req.headers, host: MIRROR } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => res.writeHead(502).end(error.message));
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, address, () => resolve(server)));
}

export async function startNamespaceHost(): Promise<NamespaceHost> {
  const id = randomInt(1, 250);
  const suffix = `${process.pid % 10_000}${id}`;
  const namespace = `nexus-host-${suffix}`;
  const [outside, inside] = [`nxh${suffix}a`, `nxh${suffix}b`].map((name) => name.slice(0, 15));
  const subnet = `10.251.${id}`;
  const address = `${subnet}.2`;
  const dir = mkdtempSync(join(tmpdir(), 'nexus-nshost-'));
  chmodSync(dir, 0o755);
  const rootfs = join(dir, 'root');
  mkdirSync(rootfs);
  unpackRootfs(rootfs);

  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });
  ip('netns', 'add', namespace);
  ip('link', 'add', outside as string, 'type', 'veth', 'peer', 'name', inside as string);
  ip('link', 'set', inside as string, 'netns', namespace);
  ip('addr', 'add', `${subnet}.1/30`, 'dev', outside as string);
  ip('link', 'set', outside as string, 'up');
  ip('-n', namespace, 'addr', 'add', `${address}/30`, 'dev', inside as string);
  ip('-n', namespace, 'link', 'set', inside as string, 'up');
  ip('-n', namespace, 'link', 'set', 'lo', 'up');
  ip('-n', namespace, 'route', 'add', 'default', 'via', `${subnet}.1`);
  const proxy = await startMirrorProxy(`${subnet}.1`, 3142);

  // The host's identity: a fresh host key, root's authorized key, apt through the proxy, its own name.
  for (const file of readdirSync(join(rootfs, 'etc/ssh'))) if (file.startsWith('ssh_host_')) rmSync(join(rootfs, 'etc/ssh', file));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(rootfs, 'etc/ssh/ssh_host_ed25519_key'), '-C', 'nexus-test-host']);
  const hostKey = execFileSync('ssh-keygen', ['-lf', join(rootfs, 'etc/ssh/ssh_host_ed25519_key.pub')], { encoding: 'utf8' }).split(' ')[1] as string;
  const clientKey = join(dir, 'operator_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey, '-C', 'nexus-test-operator']);
  mkdirSync(join(rootfs, 'root/.ssh'), { recursive: true, mode: 0o700 });
  execFileSync('cp', [`${clientKey}.pub`, join(rootfs, 'root/.ssh/authorized_keys')]);
  chmodSync(join(rootfs, 'root/.ssh/authorized_keys'), 0o600);
  writeFileSync(join(rootfs, 'etc/apt/apt.conf.d/01nexus-test-proxy'), `Acquire::http::Proxy "http://${subnet}.1:3142";\n`);
  writeFileSync(join(rootfs, 'etc/hostname'), `${namespace}\n`);
  // This sandbox cannot raise the open-files hard limit (no CAP_SYS_RESOURCE), which Debian's sysvinit
  // script for dockerd insists on; systemd hosts never read this file. Provisioning keeps it (confold).
  writeFileSync(join(rootfs, 'etc/default/docker'), 'ulimit() { command ulimit "$@" 2>/dev/null || true; }\n');

  // The root file system becomes the mount namespace's root (pivot_root, as a container runtime does), not a
  // chroot: Docker inside starts containers with pivot_root and `docker exec` enters a container's mount
  // namespace at that namespace's root; under a chroot that root was this machine's, so an exec'd healthcheck
  // or psql ran this machine's binaries against this machine's sockets.
  const boot = [
    'mount --make-rprivate /',
    `mount --bind ${rootfs} ${rootfs}`,
    `mount -t proc proc ${rootfs}/proc`,
    `mount -t sysfs sys ${rootfs}/sys`,
    `mount --rbind /dev ${rootfs}/dev`,
    `mount -t tmpfs tmpfs ${rootfs}/run`,
    `hostname ${namespace}`,
    `mkdir -p ${rootfs}/.old-root`,
    `cd ${rootfs}`,
    'pivot_root . .old-root',
    "exec /bin/sh -c 'umount -l /.old-root && rmdir /.old-root && cd / && mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e'",
  ].join('\n');
  const child: ChildProcess = spawn('ip', ['netns', 'exec', namespace, 'unshare', '--mount', '--pid', '--uts', '--fork', '--kill-child', 'sh', '-c', boot], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-2_000)));
  await waitFor(`the namespace host's sshd (${log})`, () =>
    new Promise<boolean>((resolve) => {
      if (child.exitCode !== null) return resolve(false);
      const socket = createConnection({ host: address, port: 22 }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    }),
  );

  const ssh = ['ssh', '-i', clientKey, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];
  return {
    address,
    port: 22,
    clientKey,
    hostKey,
    rootfs,
    exec: (command) => execFileSync(ssh[0] as string, [...ssh.slice(1), `root@${address}`, command], { encoding: 'utf8' }),
    ssh: (user = 'root') => [...ssh, `${user}@${address}`],
    stop: async () => {
      await stopProcess(child, 'SIGKILL');
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      proxy.closeAllConnections();
      execFileSync('ip', ['netns', 'del', namespace], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
