import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNexusYml } from '../../cli/deploy-config/template';
import { SshExecutor } from '../../cli/exec/ssh-executor';
import type { RunningSshd } from './sshd';

/** A project directory whose nexus.yml has one target, `production`, on the test sshd with its files under `root`. */
export function sshdProject(sshd: RunningSshd, root: string): string {
  const project = mkdtempSync(join(tmpdir(), 'nexus-project-'));
  const yml = renderNexusYml({
    appName: 'shop',
    target: 'production',
    hosts: [{ address: '127.0.0.1', hostKey: sshd.hostKey }],
    user: sshd.user,
    port: sshd.port,
    key: sshd.clientKey,
    domains: ['shop.example.com'],
    database: 'host',
    redis: 'host',
  }).replace('root: /srv/shop', `root: ${root}`);
  writeFileSync(join(project, 'nexus.yml'), yml);
  return project;
}

/** An SSH connection to the test sshd, as a deploy command would open it. */
export function connectToSshd(sshd: RunningSshd): Promise<SshExecutor> {
  return SshExecutor.connect({ address: '127.0.0.1', port: sshd.port, user: sshd.user, keyPath: sshd.clientKey, hostKey: sshd.hostKey, connectTimeoutSeconds: 5 });
}
