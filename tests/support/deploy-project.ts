import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { stringify } from 'yaml';
import { SshExecutor } from '../../cli/exec/ssh-executor';
import { NEXUS_BIN } from './cli';
import type { RunningSshd } from './sshd';

/**
 * The project an operator has after docs/deploy.md's quick start: `nexus init` run by the built CLI with
 * flags and no terminal (as CI runs it), which writes nexus.yml and .nexus/secrets. What the test machine
 * needs beyond that goes through the documented means: init's flags, a nexus.<target>.yml overlay
 * (`withOverlay`), the secrets file (`fillSecret`) or the environment.
 */
export function initProject(args: string[], prefix = 'nexus-project-'): string {
  const project = mkdtempSync(join(tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Secrets the developer's shell may hold would be "set in the environment" rather than generated.
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'POSTGRES_PASSWORD', 'BACKUP_SIGNING_KEY', 'SMTP_URL', 'NODE_OPTIONS']) delete env[name];
  try {
    execFileSync(process.execPath, [NEXUS_BIN, 'init', '--dir', project, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`nexus init ${args.join(' ')} failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`);
  }
  return project;
}

/** The init flags that point the `production` target at the test sshd, with its files under `root`. */
export function sshdInitFlags(sshd: RunningSshd, root: string, { name = 'shop', domain = 'shop.example.com' } = {}): string[] {
  return [
    ...['--name', name, '--host', '127.0.0.1', '--host-key', sshd.hostKey, '--user', sshd.user, '--port', String(sshd.port), '--key', sshd.clientKey],
    ...['--domain', domain, '--root', root, '--mail', 'disabled', '--payment', 'simulated', '--tls-email', 'ops@example.com'],
  ];
}

/** A project whose nexus.yml (from `nexus init`) has one target, `production`, on the test sshd with its files under `root`. */
export function sshdProject(sshd: RunningSshd, root: string): string {
  return initProject(sshdInitFlags(sshd, root));
}

/** The documented step for a URL secret: uncomment its line in .nexus/secrets and put the real value in. */
export function fillSecret(project: string, name: string, value: string): void {
  const file = join(project, '.nexus', 'secrets');
  const text = readFileSync(file, 'utf8');
  const line = new RegExp(`^# ?${name}=.*$`, 'm');
  if (!line.test(text)) throw new Error(`.nexus/secrets has no commented ${name}= line to fill in:\n${text}`);
  writeFileSync(file, text.replace(line, () => `${name}=${value}`));
}

/** The values in the project's .nexus/secrets. */
export function projectSecrets(project: string): Record<string, string> {
  return parseEnv(readFileSync(join(project, '.nexus', 'secrets'), 'utf8')) as Record<string, string>;
}

/** Writes nexus.<target>.yml, the documented per-target overlay merged over nexus.yml. */
export function writeOverlay(project: string, overlay: object, target = 'production'): void {
  writeFileSync(join(project, `nexus.${target}.yml`), stringify(overlay));
}

/** An SSH connection to the test sshd, as a deploy command would open it. */
export function connectToSshd(sshd: RunningSshd): Promise<SshExecutor> {
  return SshExecutor.connect({ address: '127.0.0.1', port: sshd.port, user: sshd.user, keyPath: sshd.clientKey, hostKey: sshd.hostKey, connectTimeoutSeconds: 5 });
}
