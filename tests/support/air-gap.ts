import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './components';
import type { RunningDockerd } from './docker';
import type { RunningSshd } from './sshd';

/**
 * docs/deploy.md §11's air-gapped recipe, as an operator types it: `docker save <image> | ssh <host> docker load`,
 * from a machine that has the image (here a second engine, the "workstation") to the deploy host's engine.
 * @param ssh the ssh command line that reaches the host, up to and including its destination
 * @param hostDockerHost the host's DOCKER_HOST, when not its default engine
 */
export async function pipeImageOverSsh(workstation: RunningDockerd, images: string[], ssh: string[], hostDockerHost?: string): Promise<void> {
  const load = hostDockerHost ? ['env', `DOCKER_HOST=${hostDockerHost}`, 'docker', 'load'] : ['docker', 'load'];
  await promisify(execFile)(
    'sh',
    ['-c', 'set -e; count=$1; shift; images=""; while [ "$count" -gt 0 ]; do images="$images $1"; shift; count=$((count - 1)); done; docker save $images | "$@"', 'air-gap', String(images.length), ...images, ...ssh, ...load],
    { env: { ...process.env, DOCKER_HOST: workstation.host, PATH: `${dirname(findBinary('docker') as string)}:${process.env.PATH ?? ''}` }, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
  );
}

/** The recipe against the harness's sshd (its host key pinned), whose commands reach `hostDockerHost`. */
export async function loadOverSsh(workstation: RunningDockerd, image: string, sshd: RunningSshd, hostDockerHost: string): Promise<void> {
  const knownHosts = join(dirname(sshd.clientKey), `known_hosts-${process.pid}`);
  const [type, key] = readFileSync(join(dirname(sshd.clientKey), 'host_ed25519.pub'), 'utf8').split(' ');
  writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${type} ${key}\n`);
  try {
    await pipeImageOverSsh(workstation, [image], ['ssh', '-i', sshd.clientKey, '-p', String(sshd.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`, `${sshd.user}@127.0.0.1`], hostDockerHost);
  } finally {
    rmSync(knownHosts, { force: true });
  }
}
