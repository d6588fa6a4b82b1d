import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary, stopProcess, waitFor } from './components';

/**
 * Several "hosts" on this machine for multi-host deploys, lighter than namespace-host.ts (no debootstrap, no
 * apt): each is a network namespace on a test bridge with its own address, in which run this machine's sshd
 * (its own host key, port 22), nginx and, for an app host, a private dockerd. A target's root, Docker socket
 * and nginx prefix are one path for all its hosts, so each host also has its own mount namespace in which its
 * private directories are bind-mounted over those shared paths: every command a deploy runs over SSH there
 * sees that host's files, engine and nginx only. Its own PID namespace too: stopping a host ends everything
 * it started (daemons, containers, nginx).
 */
export const appHostsAvailable = Boolean(
  ['ip', 'nsenter', 'unshare', 'sshd', 'ssh-keygen', 'nginx', 'dockerd', 'docker', 'curl'].every((tool) => findBinary(tool)) && process.getuid?.() === 0,
);

/** The shared paths a target names once for all its hosts (each host mounts its own directory over them). */
export interface SharedPaths {
  /** The target's `root`. */
  root: string;
  /** The nginx prefix the target's `nginx` settings point at (a prepared NginxPrefix directory). */
  nginx: string;
  /** The directory holding the Docker socket of `docker_host` (unix://<docker>/docker.sock). */
  docker: string;
}

/** The test LAN: a bridge on this machine that every host's veth joins; this machine is `.1` on it. */
export interface HostNetwork {
  bridge: string;
  /** This machine's address on the LAN (forwarders to its loopback services listen there). */
  gateway: string;
  /** The address of host number `index` (1-based). */
  address(index: number): string;
  stop(): Promise<void>;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

export function startHostNetwork(): HostNetwork {
  const id = randomInt(1, 250);
  const bridge = `nxmbr${process.pid % 10_000}${id}`.slice(0, 15);
  const prefix = `10.249.${id}`;
  ip('link', 'add', bridge, 'type', 'bridge');
  ip('addr', 'add', `${prefix}.1/24`, 'dev', bridge);
  ip('link', 'set', bridge, 'up');
  return {
    bridge,
    gateway: `${prefix}.1`,
    address: (index) => `${prefix}.${10 + index}`,
    stop: async () => void ip('link', 'del', bridge),
  };
}

export interface NamespaceMachine {
  name: string;
  address: string;
  /** Its sshd's host key fingerprint (`ssh-keygen -lf`). */
  hostKey: string;
  /** Its own directories, as this machine sees them: what it sees at the shared paths. */
  root: string;
  nginxDir: string;
  /** DOCKER_HOST for its engine as this machine reaches it (app hosts only). */
  dockerHost?: string;
  docker(args: string[], options?: { input?: string | Buffer }): string;
  /** Runs a program in the host's network namespace (e.g. a forwarder); stopped with the host. */
  spawnInNetwork(command: string, args: string[]): ChildProcess;
  stop(): Promise<void>;
}

export interface MachineOptions {
  network: HostNetwork;
  index: number;
  shared: SharedPaths;
  /** The keys root may log in with (sshd's AuthorizedKeysFile). */
  authorizedKeys: string;
  /** Whether it runs a Docker engine (an app host) or not (the load balancer's host). */
  docker: boolean;
  /** The nginx site it starts with (before any deploy). */
  site: string;
}

/** Starts one host: its namespace on the LAN, its directories, then dockerd, nginx and sshd inside. */
export async function startNamespaceMachine(options: MachineOptions): Promise<NamespaceMachine> {
  const { network, index, shared } = options;
  const name = `nexus-mh-${network.bridge.slice(5)}-${index}`;
  const address = network.address(index);
  const suffix = network.bridge.slice(5);
  const [outside, inside] = [`nxo${suffix}${index}`, `nxi${suffix}${index}`];
  const dir = mkdtempSync(join(tmpdir(), 'nexus-mhost-'));
  chmodSync(dir, 0o755);
  const root = join(dir, 'root');
  const nginxDir = join(dir, 'nginx');
  const dockerDir = join(dir, 'docker');
  mkdirSync(root);
  mkdirSync(dockerDir);
  // Its own copy of the prepared prefix: nginx.conf names the shared path, which is this copy inside the host.
  cpSync(shared.nginx, nginxDir, { recursive: true });
  chmodSync(nginxDir, 0o755);
  writeFileSync(join(nginxDir, 'site.conf'), options.site);
  for (const path of [shared.root, shared.nginx, shared.docker]) mkdirSync(path, { recursive: true });

  const ssh = join(dir, 'ssh');
  mkdirSync(ssh, { mode: 0o700 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(ssh, 'host_ed25519'), '-C', name]);
  const hostKey = execFileSync('ssh-keygen', ['-lf', join(ssh, 'host_ed25519.pub')], { encoding: 'utf8' }).split(' ')[1] as string;
  writeFileSync(
    join(ssh, 'sshd_config'),
    [
      'Port 22',
      `ListenAddress ${address}`,
      `HostKey ${join(ssh, 'host_ed25519')}`,
      `PidFile ${join(ssh, 'sshd.pid')}`,
      `AuthorizedKeysFile ${options.authorizedKeys}`,
      'AllowUsers root',
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      // Several SSH connections at once (a deploy, lb status, the test's own) without sshd's start-up throttling.
      'MaxStartups 100',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
    ].join('\n'),
  );

  ip('netns', 'add', name);
  try {
    ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
    ip('link', 'set', inside, 'netns', name);
    ip('link', 'set', outside, 'master', network.bridge);
    ip('link', 'set', outside, 'up');
    ip('-n', name, 'addr', 'add', `${address}/24`, 'dev', inside);
    ip('-n', name, 'link', 'set', inside, 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (error) {
    ip('netns', 'del', name);
    throw error;
  }

  const nginx = findBinary('nginx') as string;
  const nginxArgs = `-p ${shared.nginx}/ -c ${join(shared.nginx, 'nginx.conf')} -e ${join(shared.nginx, 'error.log')}`;
  const boot = [
    'set -e',
    `mount --bind ${root} ${shared.root}`,
    `mount --bind ${nginxDir} ${shared.nginx}`,
    ...(options.docker
      ? [
          `mount --bind ${dockerDir} ${shared.docker}`,
          `${findBinary('dockerd')} --data-root ${join(dir, 'dockerd', 'data')} --exec-root ${join(dir, 'dockerd', 'exec')} -H unix://${join(shared.docker, 'docker.sock')} --pidfile ${join(dir, 'dockerd', 'docker.pid')} --bridge=none --iptables=false --ip6tables=false > ${join(dir, 'dockerd.log')} 2>&1 &`,
        ]
      : []),
    `${nginx} -t ${nginxArgs} 2>${join(dir, 'nginx-start.log')}`,
    `${nginx} ${nginxArgs}`,
    'mkdir -p /run/sshd',
    `exec ${findBinary('sshd')} -D -e -f ${join(ssh, 'sshd_config')}`,
  ].join('\n');
  // nsenter rather than `ip netns exec`: the latter mounts a fresh /sys, without the cgroups dockerd needs.
  const child: ChildProcess = spawn('nsenter', [`--net=/run/netns/${name}`, 'unshare', '--mount', '--pid', '--fork', '--mount-proc', '--kill-child', 'sh', '-c', boot], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  const spawned: ChildProcess[] = [];
  const dockerHost = options.docker ? `unix://${join(dockerDir, 'docker.sock')}` : undefined;
  const docker = (args: string[], input: { input?: string | Buffer } = {}) => {
    if (!dockerHost) throw new Error(`${name} has no Docker engine`);
    return execFileSync(findBinary('docker') as string, args, { env: { ...process.env, DOCKER_HOST: dockerHost }, encoding: 'utf8', input: input.input, maxBuffer: 64 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
  };
  const stop = async () => {
    for (const process of spawned) await stopProcess(process, 'SIGKILL');
    if (dockerHost) {
      try {
        for (const id of docker(['ps', '-aq']).split('\n').filter(Boolean)) docker(['rm', '-f', id]);
      } catch {
        // the engine is gone already
      }
    }
    // The PID namespace's first process dies with unshare (--kill-child), and every process of the host with it.
    await stopProcess(child, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      ip('netns', 'del', name);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`${name}'s sshd on ${address}:22 (${log.trim()})`, () =>
      new Promise<boolean>((resolve) => {
        if (child.exitCode !== null) throw new Error(`${name} exited: ${log}${readOptional(join(dir, 'nginx-start.log'))}`);
        const socket = createConnection({ host: address, port: 22 }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      }),
    20_000);
    if (dockerHost) {
      await waitFor(`${name}'s dockerd (${readOptional(join(dir, 'dockerd.log')).split('\n').slice(-3).join('\n')})`, async () => {
        docker(['version', '--format', '{{.Server.Version}}']);
        return true;
      }, 30_000);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name,
    address,
    hostKey,
    root,
    nginxDir,
    dockerHost,
    docker,
    spawnInNetwork: (command, args) => {
      const process = spawn('nsenter', [`--net=/run/netns/${name}`, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      spawned.push(process);
      return process;
    },
    stop,
  };
}

function readOptional(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** A TCP forwarder (node, in the host's network): connections to `listen` go to `target`. Resolves once it listens. */
export async function forwardInHost(machine: NamespaceMachine, listen: { host: string; port: number }, target: { host: string; port: number }): Promise<void> {
  const script = `
const net = require('node:net');
const [listenHost, listenPort, targetHost, targetPort] = process.argv.slice(1);
net.createServer((incoming) => {
  const outgoing = net.createConnection({ host: targetHost, port: Number(targetPort) });
  incoming.pipe(outgoing).pipe(incoming);
  incoming.on('error', () => outgoing.destroy());
  outgoing.on('error', () => incoming.destroy());
}).listen(Number(listenPort), listenHost, () => console.log('listening'));
// Gone with the test process, even one that is killed: its end of stdin closes.
process.stdin.on('end', () => process.exit(0)).resume();`;
  const child = machine.spawnInNetwork(process.execPath, ['-e', script, listen.host, String(listen.port), target.host, String(target.port)]);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(`a forwarder in ${machine.name} on ${listen.host}:${listen.port} (${output})`, async () => {
    if (child.exitCode !== null) throw new Error(output);
    return output.includes('listening');
  });
}

/**
 * The app's image made from this checkout's build (dist, the manifest, production node_modules) and the
 * repository Dockerfile's runtime stage, without its build stage (npm ci and tsc take minutes on these
 * machines; tests/deploy/deploy-e2e.test.ts builds the Dockerfile itself). Built on `dockerd` as `tag`.
 */
export function assembleAppImage(dockerd: { docker(args: string[], options?: { input?: string | Buffer }): string; host: string }, tag: string, runtimeImage: string): void {
  const repository = join(__dirname, '..', '..');
  const context = mkdtempSync(join(tmpdir(), 'nexus-mh-image-'));
  try {
    for (const file of ['package.json', 'package-lock.json', 'oclif.manifest.json']) cpSync(join(repository, file), join(context, file));
    for (const dir of ['dist', 'bin', 'templates']) cpSync(join(repository, dir), join(context, dir), { recursive: true });
    // Hard links (instant), then only the production dependencies, as the Dockerfile's `npm prune --omit=dev`.
    execFileSync('cp', ['-al', join(repository, 'node_modules'), join(context, 'node_modules')]);
    execFileSync('npm', ['prune', '--omit=dev', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { cwd: context, stdio: 'ignore' });
    const dockerfile = readFileSync(join(repository, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.indexOf('FROM ${RUNTIME_IMAGE}'));
    if (!runtime.startsWith('FROM')) throw new Error('the Dockerfile has no `FROM ${RUNTIME_IMAGE}` stage');
    writeFileSync(join(context, 'Dockerfile'), `ARG RUNTIME_IMAGE\n${runtime.replaceAll(/COPY --from=build \/app\/(\S+)/g, 'COPY $1').replaceAll(/ \/app\/(package\.json|oclif\.manifest\.json)/g, ' $1')}`);
    execFileSync(findBinary('docker') as string, ['build', '-q', '-t', tag, '--build-arg', `RUNTIME_IMAGE=${runtimeImage}`, context], { env: { ...process.env, DOCKER_HOST: dockerd.host }, stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Copies an image from one engine to others at once (`docker save | docker load`), as an operator's air-gapped upload would. */
export async function copyImage(from: string, tag: string, to: readonly string[]): Promise<void> {
  const docker = findBinary('docker') as string;
  await Promise.all(to.map((host) => promisify(execFile)('sh', ['-c', `DOCKER_HOST="$1" "$3" save "$4" | DOCKER_HOST="$2" "$3" load -q`, 'copy-image', from, host, docker, tag])));
}
