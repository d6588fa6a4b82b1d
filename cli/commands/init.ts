import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { parse } from 'yaml';
import { NexusCommand } from '../base-command';
import { CONFIG_FILE, DeployConfigError, keyPath } from '../deploy-config/load';
import { nexusFileSchema, type TargetConfig } from '../deploy-config/schema';
import { appendSecretCommand, loadSecrets, requiredSecrets, SECRETS_FILE, type RequiredSecret } from '../deploy-config/secrets';
import { renderNexusYml, type InitAnswers } from '../deploy-config/template';
import { ExitCode } from '../exit-codes';
import { NexusError, UsageError } from '../errors';
import { checked, checks, HOST_KEY_HINT, type ValueKind } from '../flags';
import { askList } from '../prompts';

export interface InitResult {
  file: string;
  target: string;
  hosts: string[];
  domains: string[];
  /** The secrets the target needs, and whether each is already set (environment or .nexus/secrets). */
  secrets: { name: string; reason: string; set: boolean }[];
}

export default class Init extends NexusCommand<InitResult> {
  static override summary = 'Write a commented nexus.yml describing where to deploy';

  static override description =
    'Writes nexus.yml from templates/nexus.yml. At a terminal, missing answers are asked for; in CI pass them as flags (a missing one is an error naming the flag). Secrets are never written: nexus.yml only names them.';

  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --target production --host 203.0.113.10 --host-key SHA256:7RCj… --domain shop.example.com',
    '<%= config.bin %> init --target staging --host 198.51.100.7 --host-key SHA256:… --domain staging.example.com --database external --redis external --force',
  ];

  static override flags = {
    target: checked('target')({ description: 'Name of the first target.', default: 'production' }),
    host: checked('host')({ description: 'Host address (repeat for several hosts).', multiple: true }),
    'host-key': checked('hostKey')({ description: "Each host's SSH key fingerprint, in --host order (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host).", multiple: true }),
    domain: checked('domain')({ description: 'Domain name of the site (repeat for several).', multiple: true }),
    user: checked('unixUser')({ description: 'SSH user for deploys.', default: 'deploy' }),
    port: Flags.integer({ description: 'SSH port.', default: 22, min: 1, max: 65535 }),
    key: Flags.string({ description: 'SSH private key file.', default: '~/.ssh/id_ed25519' }),
    database: Flags.string({ description: 'PostgreSQL on the host (a compose service) or external (DATABASE_URL secret).', options: ['host', 'external'], default: 'host' }),
    redis: Flags.string({ description: 'Redis on the host (a compose service) or external (REDIS_URL secret).', options: ['host', 'external'], default: 'host' }),
    name: checked('appName')({ description: 'Application name (compose project, directories).', default: 'nexus' }),
    dir: checked('existingDirectory')({ description: 'Directory to write nexus.yml in.', default: '.' }),
    force: Flags.boolean({ description: 'Overwrite an existing nexus.yml.' }),
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(Init);
    const file = join(resolve(flags.dir), CONFIG_FILE);
    if (existsSync(file) && !flags.force) {
      throw new NexusError(`${file} already exists; nothing was written.`, { code: 'EXISTS', exitCode: ExitCode.CONFLICT, suggestions: ['pass --force to overwrite it'] });
    }
    const hosts = flags.host ?? (await this.askList('Host address(es), comma-separated', '--host 203.0.113.10', 'host'));
    const hostKeys =
      flags['host-key'] ??
      (await this.askList(`SSH key fingerprint(s) of ${hosts.join(', ')}, in the same order (${HOST_KEY_HINT})`, '--host-key SHA256:…', 'hostKey', hosts.length));
    if (hostKeys.length !== hosts.length) throw new UsageError(`${hosts.length} host(s) but ${hostKeys.length} host key(s).`, ['pass one --host-key per --host, in the same order']);
    const domains = flags.domain ?? (await this.askList('Domain name(s), comma-separated', '--domain shop.example.com', 'domain'));
    const answers: InitAnswers = {
      appName: flags.name,
      target: flags.target,
      hosts: hosts.map((address, index) => ({ address, hostKey: hostKeys[index] as string })),
      user: flags.user,
      port: flags.port,
      key: flags.key,
      domains,
      database: flags.database as 'host' | 'external',
      redis: flags.redis as 'host' | 'external',
    };
    const text = renderNexusYml(answers);
    // The answers go through the same validation as every later command: a bad value is reported now,
    // against the flag's key path, and nothing is written.
    const parsed = nexusFileSchema.safeParse(parse(text));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${keyPath(issue.path)}: ${issue.message}`);
      throw new DeployConfigError(`The answers do not make a valid ${CONFIG_FILE}; nothing was written:\n  ${problems.join('\n  ')}`);
    }
    writeFileSync(file, text, { mode: 0o644 });
    const target = parsed.data.targets[flags.target] as TargetConfig;
    const needed = requiredSecrets(parsed.data.app, target);
    const { missing } = loadSecrets(needed.map((secret) => secret.name), flags.dir);
    const secrets = needed.map((secret) => ({ ...secret, set: !missing.includes(secret.name) }));
    this.log(`Wrote ${file} (target ${flags.target}: ${hosts.join(', ')}).`);
    this.printSecrets(secrets, flags.dir, flags.target);
    return { file, target: flags.target, hosts, domains, secrets: secrets.map(({ name, reason, set }) => ({ name, reason, set })) };
  }

  /** Which secrets the target needs, which are still to set, and a line that sets each. */
  private printSecrets(secrets: (RequiredSecret & { set: boolean })[], dir: string, target: string): void {
    const width = Math.max(...secrets.map((secret) => secret.name.length));
    this.log('\nSecrets it needs (nexus.yml only names them; their values never go into it):');
    for (const secret of secrets) this.log(`  ${secret.name.padEnd(width)}  ${secret.reason}${secret.set ? ': already set' : ''}`);
    const unset = secrets.filter((secret) => !secret.set);
    if (unset.length > 0) {
      this.log(`\nSet ${unset.length === 1 ? 'it' : 'them'} in the environment (CI), or in ${join(dir, SECRETS_FILE)} (KEY=value lines, git-ignored, mode 600), e.g.:`);
      for (const secret of unset) this.log(`  ${appendSecretCommand(secret, dir)}`);
      if (unset.some((secret) => secret.value === 'url')) this.log('  (then put the real URL in place of the example)');
    }
    this.log(`\nCheck with \`nexus config show --target ${target}\`; next, \`nexus server provision --target ${target}\`.`);
  }

  private async askList(message: string, flagExample: string, kind: ValueKind, count?: number): Promise<string[]> {
    if (!this.isInteractive()) throw new UsageError(`${message}: not given, and there is no terminal to ask.`, [`pass ${flagExample}`]);
    return askList(message, checks[kind], count);
  }
}
