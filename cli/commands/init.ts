import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { parse } from 'yaml';
import { NexusCommand } from '../base-command';
import { PAYMENT_PROVIDERS, PRODUCTION_MAIL_TRANSPORTS } from '../deploy-config/app-settings';
import { BACKUP_SIGNING_SECRET } from '../deploy-config/backup-keys';
import { CONFIG_FILE, DeployConfigError, keyPath } from '../deploy-config/load';
import { nexusFileSchema, type TargetConfig } from '../deploy-config/schema';
import { requiredSecrets } from '../deploy-config/secrets';
import { ignoreStateDirectory, writeSecretsFile, type SecretsFileReport, type SecretStatus } from '../deploy-config/secrets-file';
import { renderNexusYml, type InitAnswers } from '../deploy-config/template';
import { ExitCode } from '../exit-codes';
import { NexusError, UsageError } from '../errors';
import { checked, checks, HOST_KEY_HINT, type ValueKind } from '../flags';
import { askChoice, askList, askText } from '../prompts';

export interface InitResult {
  file: string;
  target: string;
  hosts: string[];
  domains: string[];
  /** .nexus/secrets, created or completed. */
  secretsFile: string;
  /** The secrets the target needs: `set` unless still to fill in; `status` says how. */
  secrets: { name: string; reason: string; set: boolean; status: SecretStatus }[];
  /** The .gitignore that got the `.nexus/` entry, when one was added. */
  gitignore?: string;
}

const STATUS_TEXT: Record<SecretStatus, string> = { generated: 'generated', kept: 'already set', environment: 'set in the environment', placeholder: 'TO FILL IN' };

export default class Init extends NexusCommand<InitResult> {
  static override summary = 'Write a commented nexus.yml describing where to deploy, and .nexus/secrets';

  static override description =
    "Writes nexus.yml from templates/nexus.yml, and creates .nexus/secrets (mode 600, in a 700 directory, git-ignored) with generated values for what can be generated (JWT_SECRET, POSTGRES_PASSWORD, BACKUP_SIGNING_KEY) and commented lines for the URLs to fill in (DATABASE_URL, REDIS_URL, SMTP_URL); an existing secrets file keeps its values and only gets what it lacks. At a terminal, missing answers are asked for; in CI pass them as flags (a missing one is an error naming the flag).";

  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --target production --host 203.0.113.10 --host-key SHA256:7RCj… --domain shop.example.com --mail smtp --payment simulated --tls-email ops@example.com',
    '<%= config.bin %> init --target staging --host 198.51.100.7 --host-key SHA256:… --domain staging.example.com --database external --redis external --mail disabled --payment simulated --tls-email ops@example.com --force',
  ];

  static override flags = {
    target: checked('target')({ description: 'Name of the first target.', default: 'production' }),
    host: checked('host')({ description: 'Host address (repeat for several hosts).', multiple: true }),
    'host-key': checked('hostKey')({ description: "Each host's SSH key fingerprint, in --host order (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host).", multiple: true }),
    domain: checked('domain')({ description: 'Domain name of the site (repeat for several).', multiple: true }),
    mail: Flags.string({ description: 'How the API sends mail (password resets): smtp (its SMTP_URL secret goes in .nexus/secrets) or disabled.', options: [...PRODUCTION_MAIL_TRANSPORTS] }),
    payment: Flags.string({ description: 'The payment provider (PAYMENT_PROVIDER; `simulated` charges nothing).', options: [...PAYMENT_PROVIDERS] }),
    'tls-email': checked('contactEmail')({ description: "Contact address of the ACME account (tls.email): the CA's expiry and policy mail." }),
    user: checked('unixUser')({ description: 'SSH user for deploys.', default: 'deploy' }),
    port: Flags.integer({ description: 'SSH port.', default: 22, min: 1, max: 65535 }),
    key: Flags.string({ description: 'SSH private key file.', default: '~/.ssh/id_ed25519' }),
    root: checked('hostPath')({ description: 'Directory of the releases, shared data and certificates on the hosts. Default: /srv/<name>.' }),
    database: Flags.string({ description: 'PostgreSQL on the host (a compose service) or external (DATABASE_URL secret).', options: ['host', 'external'], default: 'host' }),
    redis: Flags.string({ description: 'Redis on the host (a compose service) or external (REDIS_URL secret).', options: ['host', 'external'], default: 'host' }),
    name: checked('appName')({ description: 'Application name (compose project, directories).', default: 'nexus' }),
    dir: checked('existingDirectory')({ description: 'Directory to write nexus.yml (and .nexus/secrets) in.', default: '.' }),
    force: Flags.boolean({ description: 'Overwrite an existing nexus.yml (never the values in .nexus/secrets).' }),
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
      root: flags.root,
      mailTransport: flags.mail ?? (await this.askChoice('Mail transport: smtp sends password resets (SMTP_URL secret)', PRODUCTION_MAIL_TRANSPORTS, '--mail smtp (or --mail disabled)')),
      paymentProvider: flags.payment ?? (await this.askChoice('Payment provider', PAYMENT_PROVIDERS, `--payment ${PAYMENT_PROVIDERS[0]}`)),
      tlsEmail: flags['tls-email'] ?? (await this.ask('Contact email for the TLS certificates (ACME account)', '--tls-email ops@example.com', 'contactEmail')),
    };
    const text = renderNexusYml(answers);
    // The answers go through the same validation as every later command: a bad value is reported now,
    // against the flag's key path, and nothing is written.
    const parsed = nexusFileSchema.safeParse(parse(text));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${keyPath(issue.path)}: ${issue.message}`);
      throw new DeployConfigError(`The answers do not make a valid ${CONFIG_FILE}; nothing was written:\n  ${problems.join('\n  ')}`);
    }
    const target = parsed.data.targets[flags.target] as TargetConfig;
    // Secrets first: a secrets file others can read stops init before nexus.yml is written.
    const secretsFile = writeSecretsFile(flags.dir, [...requiredSecrets(parsed.data.app, target), BACKUP_SIGNING_SECRET]);
    const gitignore = ignoreStateDirectory(flags.dir);
    writeFileSync(file, text, { mode: 0o644 });
    this.log(`Wrote ${file} (target ${flags.target}: ${hosts.join(', ')}).`);
    this.printSecrets(secretsFile, flags.target, gitignore);
    const secrets = secretsFile.secrets.map(({ name, reason, status }) => ({ name, reason, set: status !== 'placeholder', status }));
    return { file, target: flags.target, hosts, domains, secretsFile: secretsFile.file, secrets, ...(gitignore ? { gitignore } : {}) };
  }

  /** Each secret the target needs and what became of it; the ones still to fill in, and the next commands. */
  private printSecrets(report: SecretsFileReport, target: string, gitignore: string | undefined): void {
    const width = Math.max(...report.secrets.map((secret) => secret.name.length));
    const statusWidth = Math.max(...report.secrets.map((secret) => STATUS_TEXT[secret.status].length));
    this.log(`\nSecrets, in ${report.file} (mode 600, git-ignored; nexus.yml only names them, the environment wins over the file):`);
    for (const secret of report.secrets) this.log(`  ${secret.name.padEnd(width)}  ${STATUS_TEXT[secret.status].padEnd(statusWidth)}  ${secret.reason}`);
    const unset = report.secrets.filter((secret) => secret.status === 'placeholder').map((secret) => secret.name);
    if (unset.length > 0) this.log(`\nTo fill in: uncomment the ${unset.join(', ')} line${unset.length > 1 ? 's' : ''} in ${report.file} and put the real URL${unset.length > 1 ? 's' : ''} in.`);
    if (gitignore) this.log(`\nAdded .nexus/ to ${gitignore}.`);
    this.log(`\nCheck with \`nexus config show --target ${target}\`; next, \`nexus server provision --target ${target}\`.`);
  }

  private async askList(message: string, flagExample: string, kind: ValueKind, count?: number): Promise<string[]> {
    this.requireTerminal(message, flagExample);
    return askList(message, checks[kind], count);
  }

  private async askChoice(message: string, options: readonly string[], flagExample: string): Promise<string> {
    this.requireTerminal(message, flagExample);
    return askChoice(message, options);
  }

  private async ask(message: string, flagExample: string, kind: ValueKind): Promise<string> {
    this.requireTerminal(message, flagExample);
    return askText(message, checks[kind]);
  }

  private requireTerminal(message: string, flagExample: string): void {
    if (!this.isInteractive()) throw new UsageError(`${message}: not given, and there is no terminal to ask.`, [`pass ${flagExample}`]);
  }
}
