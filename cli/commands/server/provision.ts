import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import type { DeployTarget } from '../../deploy-config/load';
import { apiMetricsFor, nodeExporterFor } from '../../deploy-config/monitoring';
import { NexusError } from '../../errors';
import { ExitCode } from '../../exit-codes';
import { packageRoot } from '../../package-root';
import { colourPort, HostLayout } from '../../remote/layout';
import { targetSite } from '../../remote/nginx-site';
import { loadBalancerSite } from '../../remote/lb-site';
import { provisionSteps, throughSudo, type ProvisionPlan, type ProvisionStep } from '../../remote/provision';
import { describeSteps, provisionHost, type ProvisionReport } from '../../services/provisioner';
import { TargetCommand, targetFlags } from '../../target-command';
import { checked } from '../../flags';

/** The operator's public key: the .pub beside the private key, else derived from it. */
function publicKeyOf(privateKey: string): string {
  if (existsSync(`${privateKey}.pub`)) return readFileSync(`${privateKey}.pub`, 'utf8').trim();
  try {
    return execFileSync('ssh-keygen', ['-y', '-f', privateKey], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    throw new NexusError(`Cannot read the public key of ${privateKey}: ${(error as Error).message.split('\n')[0] ?? ''}`, { code: 'DEPLOY_CONFIG', exitCode: ExitCode.CONFIG });
  }
}

/** The first site of the nginx load balancer's host: every app host out of rotation until its first deploy. */
function balancerSite(deploy: DeployTarget): string | undefined {
  const balancer = deploy.target.load_balancer;
  if (balancer?.type !== 'nginx') return undefined;
  return loadBalancerSite(deploy, balancer, deploy.target.hosts.map((host) => host.address), { nginxDir: '/etc/nginx', httpPort: 80, httpsPort: 443 });
}

/** The app hosts' commands: once when they are the same for all, else under each host's address. */
function describeAppHosts(hosts: { host: { address: string }; steps: ProvisionStep[] }[]): string[] {
  const texts = hosts.map(({ steps }) => describeSteps(steps));
  if (new Set(texts).size <= 1) return texts.slice(0, 1);
  return hosts.map(({ host }, index) => `# The app host ${host.address}\n\n${texts[index] ?? ''}`);
}

function planFor(deploy: DeployTarget): ProvisionPlan {
  const { target, app } = deploy;
  const layout = HostLayout.of(target);
  const nginxDir = join(packageRoot(), 'nginx');
  return {
    deployUser: target.ssh.user,
    publicKey: publicKeyOf(deploy.keyPath),
    sshPort: target.ssh.port,
    root: target.root,
    app: app.name,
    nginxFiles: Object.fromEntries(readdirSync(nginxDir).map((file) => [file, readFileSync(join(nginxDir, file), 'utf8')])),
    // Provisioning installs the snippets in /etc/nginx and opens 80 and 443, whatever a test target says.
    initialSite: targetSite(deploy, colourPort(app.port, 'blue'), { nginxDir: '/etc/nginx', httpPort: 80, httpsPort: 443 }),
    siteFile: layout.site,
    nginxBinary: '/usr/sbin/nginx',
  };
}

export default class ServerProvision extends TargetCommand<{ hosts: ProvisionReport[] } | { dryRun: string }> {
  static override summary = "Bring a target's fresh Debian/Ubuntu hosts to the state deploys need (idempotent)";
  static override description = `Connects as root (--ssh-user) with the target's key and, checking before changing anything: installs Docker with Compose, nginx, ufw, unattended-upgrades, curl, openssl, the PostgreSQL client, cron and nsupdate; creates the deploy user (ssh.user) with the operator's public key, in the docker group and the adm group (read-only access to nginx's logs and the journal), allowed by sudo to test and reload nginx and to read ufw's status, nothing else; creates the directories under root; installs the nexus nginx snippets and the site with its ACME webroot; lets only SSH, 80 and 443 through the firewall; turns SSH password logins off; enables unattended security upgrades.

With \`monitoring.node_exporter\` in nexus.yml, it also installs Debian's prometheus-node-exporter on every host it provisions, listening on 127.0.0.1:9100 or the host's private address, ufw letting only the private range (or allow_from) in to it; turned off again, the exporter nexus set up is removed. It reads what the scheduled jobs write in <root>/metrics. With \`monitoring.api_metrics\` on a private address, ufw lets the allowed ranges in to that port of each app host, where nginx serves the API's metrics.

With \`load_balancer: { type: nginx }\`, its host is provisioned the same way but without Docker, Compose and the PostgreSQL client (nginx alone serves there, and the deploy user is not in the docker group), its site holding every app host out of rotation until each one's first deploy.

Re-running changes nothing (the report says "unchanged"). --dry-run prints every remote command instead, without connecting. Membership of the docker group is root-equivalent on the host: the deploy user's key deserves the care a root key does.`;

  static override examples = ['<%= config.bin %> server provision --target production', '<%= config.bin %> server provision -t staging --dry-run', '<%= config.bin %> server provision -t production --ssh-user admin --json'];

  static override flags = {
    ...targetFlags,
    'dry-run': Flags.boolean({ description: 'Print every remote command (and the files it would write) without connecting.' }),
    'ssh-user': checked('unixUser')({ description: 'User to connect as: root, or one with passwordless sudo.', default: 'root' }),
  };

  async run(): Promise<{ hosts: ProvisionReport[] } | { dryRun: string }> {
    const { flags } = await this.parse(ServerProvision);
    const deploy = this.loadTarget(flags);
    const viaSudo = (planned: ProvisionStep[]) => (flags['ssh-user'] === 'root' ? planned : throughSudo(planned));
    const plan = planFor(deploy);
    // Per host: each has its own node exporter and API metrics address when they listen on a private network.
    const stepsFor = (address: string, extra: Partial<ProvisionPlan> = {}) => viaSudo(provisionSteps({ ...plan, ...extra, nodeExporter: nodeExporterFor(deploy.target.monitoring, address), apiMetrics: apiMetricsFor(deploy.target.monitoring, address) }));
    const hosts = deploy.target.hosts.map((host) => ({ host, steps: stepsFor(host.address) }));
    // The nginx load balancer's host is provisioned the same way, with its own first site.
    const lbSite = balancerSite(deploy);
    const balancer = deploy.target.load_balancer?.type === 'nginx' && lbSite ? { host: deploy.target.load_balancer.host, steps: stepsFor(deploy.target.load_balancer.host.address, { initialSite: lbSite, role: 'load-balancer' }) } : undefined;
    if (flags['dry-run']) {
      const text = [...describeAppHosts(hosts), ...(balancer ? [`# The load balancer ${balancer.host.address}\n\n${describeSteps(balancer.steps)}`] : [])].join('\n\n');
      this.log(text);
      return { dryRun: text };
    }
    const reports: ProvisionReport[] = [];
    for (const { host, steps } of [...hosts, ...(balancer ? [balancer] : [])]) {
      const exec = await this.connect(deploy, host, flags['ssh-user']);
      const report = await provisionHost(exec, steps, this.isInteractive() ? 'interactive' : 'plain');
      reports.push(report);
      const changes = report.steps.flatMap((step) => step.changes);
      this.log(`${host.address}: ${report.unchanged ? 'unchanged (already provisioned)' : `${changes.length} change(s)`}`);
      for (const change of changes) this.log(`  ${change}`);
    }
    return { hosts: reports };
  }
}
