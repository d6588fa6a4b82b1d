import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './components';
import type { RunningDockerd } from './docker';
import type { RunningSshd } from './sshd';

/**
 * docs/deploy.md §11's air-gapped recipe, as an operator types it: `docker save <image> | ssh <host> docker load`,
 * from a machine that has the image (here a second engine, the "workstation") to the deploy host's engine
 * (`docker_host`) over the host's sshd, with its host key pinned.
 */
export async function loadOverSsh(workstation: RunningDockerd, image: string, sshd: RunningSshd, hostDockerHost: string): Promise<void> {
  const knownHosts = join(dirname(sshd.clientKey), `known_hosts-${process.pid}`);
  const [type, key] = readFileSync(join(dirname(sshd.clientKey), 'host_ed25519.pub'), 'utf8').split(' ');
  writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${type} ${key}\n`);
  const ssh = ['ssh', '-i', sshd.clientKey, '-p', String(sshd.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`, `${sshd.user}@127.0.0.1`];
  try {
    await promisify(execFile)(
      'sh',
      ['-c', 'set -e; image=$1 remote_docker_host=$2; shift 2; docker save "$image" | "$@" env DOCKER_HOST="$remote_docker_host" docker load', 'air-gap', image, hostDockerHost, ...ssh],
      { env: { ...process.env, DOCKER_HOST: workstation.host, PATH: `${dirname(findBinary('docker') as string)}:${process.env.PATH ?? ''}` }, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
    );
  } finally {
    rmSync(knownHosts, { force: true });
  }
}
