import { ensureFile, installPackages, START_SERVICE, type ProvisionCommand, type ProvisionStep } from './host-setup';
import { apiMetricsStep } from './api-metrics';
import { nodeExporterStep, type NodeExporterSetting } from './node-exporter';
import { script } from './shell';

export { ensureFile, type ProvisionCommand, type ProvisionStep } from './host-setup';

export interface ProvisionPlan {
  deployUser: string;
  /** The operator's public key line (from the private key's .pub). */
  publicKey: string;
  sshPort: number;
  root: string;
  app: string;
  /** Shipped nginx files by name (nginx/*.conf). */
  nginxFiles: Record<string, string>;
  /** The site to start with when the host has none: ACME webroot and a 503 until the first deploy. */
  initialSite: string;
  siteFile: string;
  nginxBinary: string;
  /** An app host (Docker, the releases), or the nginx load balancer's host (nginx alone). Default: app. */
  role?: 'app' | 'load-balancer';
  /** The Prometheus node exporter for this host (monitoring.node_exporter); unset: off. */
  nodeExporter?: NodeExporterSetting;
  /** Where this app host's nginx serves the API's metrics (monitoring.api_metrics); unset: off. */
  apiMetrics?: NodeExporterSetting;
}

/** What each kind of host needs installed and running, and the deploy user's groups there. */
const ROLES = {
  app: {
    packages: 'docker.io $compose nginx ufw unattended-upgrades curl ca-certificates openssl postgresql-client sudo openssh-server iptables cron bind9-dnsutils',
    services: ['docker', 'nginx', 'cron'],
    groups: 'docker adm',
    installs: 'Docker, Compose, nginx, ufw, unattended-upgrades, cron, nsupdate',
    started: 'Docker, nginx and cron',
  },
  // No containers run on the balancer: nginx (with curl for its readiness checks of the app hosts), cron for jobs.
  'load-balancer': {
    packages: 'nginx ufw unattended-upgrades curl ca-certificates sudo openssh-server iptables cron bind9-dnsutils',
    services: ['nginx', 'cron'],
    groups: 'adm',
    installs: 'nginx, ufw, unattended-upgrades, cron, nsupdate',
    started: 'nginx and cron',
  },
} as const;

function checkSystem(): ProvisionCommand {
  return {
    command: script(
      'nexus-check-system',
      `. /etc/os-release 2>/dev/null
case "$ID" in debian|ubuntu) ;; *) echo "unsupported system: \${PRETTY_NAME:-unknown}; nexus provisions Debian and Ubuntu" >&2; exit 3;; esac
[ "$(id -u)" = 0 ] || { echo "provisioning needs root (connect as root, or as a user with passwordless sudo)" >&2; exit 3; }`,
    ),
  };
}

function startServices(services: readonly string[]): ProvisionCommand {
  return { command: script('nexus-start-services', `${START_SERVICE}\n${services.map((service) => `start_service ${service}`).join(' && ')}`) };
}

function deployUser(user: string, publicKey: string, groups: string): ProvisionCommand {
  return {
    command: script(
      'nexus-deploy-user',
      `user=$1 key=$2
id "$user" >/dev/null 2>&1 || { useradd --create-home --shell /bin/bash "$user" && echo "changed: created user $user"; } || exit 1
# docker: deploys. adm: read-only access to the logs that nexus logs and nexus debug read (nginx's files, which
# logrotate recreates www-data:adm 0640, and the system journal).
for group in ${groups}; do
  id -nG "$user" | tr ' ' '\\n' | grep -qx "$group" || { usermod -aG "$group" "$user" && echo "changed: $user joined the $group group"; } || exit 1
done
home=$(getent passwd "$user" | cut -d: -f6)
install -d -m 700 -o "$user" -g "$user" "$home/.ssh" || exit 1
grep -qxF "$key" "$home/.ssh/authorized_keys" 2>/dev/null || { echo "$key" >> "$home/.ssh/authorized_keys" && echo "changed: authorised the operator's key for $user"; }
chown "$user:$user" "$home/.ssh/authorized_keys" && chmod 600 "$home/.ssh/authorized_keys"`,
      user,
      publicKey,
    ),
  };
}

function directories(root: string, user: string): ProvisionCommand {
  return {
    command: script(
      'nexus-directories',
      `root=$1 user=$2; shift 2
for dir in "$root" "$@"; do
  [ -d "$dir" ] || { install -d -m 750 -o "$user" -g "$user" "$dir" && echo "changed: created $dir"; } || exit 1
done
# nginx's workers read the ACME webroot; the node exporter reads what the jobs report in metrics/.
chmod 755 "$root" "$root/acme" "$root/metrics" && chown "$user:$user" "$root"`,
      root,
      user,
      ...['releases', 'backups', 'builds', 'services', 'nginx', 'acme', 'certs', 'locks', 'metrics'].map((dir) => `${root}/${dir}`),
    ),
  };
}

function nginxSetup(plan: ProvisionPlan): ProvisionCommand[] {
  const snippets = Object.entries(plan.nginxFiles)
    .filter(([name]) => name !== 'nexus-http.conf')
    .map(([name, content]) => ({ command: ensureFile(`/etc/nginx/snippets/${name}`, '644', 'root:root'), stdin: content }));
  return [
    ...snippets,
    { command: ensureFile('/etc/nginx/conf.d/nexus-http.conf', '644', 'root:root'), stdin: plan.nginxFiles['nexus-http.conf'] ?? '' },
    { command: ensureFile(`/etc/nginx/sites-enabled/${plan.app}.conf`, '644', 'root:root'), stdin: `# nexus: the site of ${plan.app}, rewritten by each deploy.\ninclude ${plan.siteFile};\n` },
    {
      command: script(
        'nexus-initial-site',
        '[ -f "$1" ] && exit 0; umask 022; cat > "$1" && chown "$2:$2" "$1" && echo "changed: wrote the initial site $1"',
        plan.siteFile,
        plan.deployUser,
      ),
      stdin: plan.initialSite,
    },
    {
      command: script(
        'nexus-nginx-reload',
        `[ -e /etc/nginx/sites-enabled/default ] && rm -f /etc/nginx/sites-enabled/default && echo "changed: removed the default site"
"$1" -t 2>&1 | grep -v 'test is successful' >&2; "$1" -t >/dev/null 2>&1 || exit 1
"$1" -s reload 2>/dev/null || service nginx start >/dev/null`,
        plan.nginxBinary,
      ),
    },
  ];
}

/** Where Debian and Ubuntu install ufw (sudo matches a rule's command by its full path). */
const UFW = '/usr/sbin/ufw';

/** Exactly these command lines, arguments included: sudo refuses the same programs with any other arguments. */
function sudoRule(user: string, nginx: string): string {
  return `# nexus: the deploy user may test and reload nginx and read the firewall's status (for nexus debug), nothing else.\n${user} ALL=(root) NOPASSWD: ${nginx} -t, ${nginx} -s reload, ${UFW} status verbose\n`;
}

function sudoRules(user: string, nginx: string): ProvisionCommand {
  return { command: ensureFile(`/etc/sudoers.d/nexus-${user}`, '440', 'root:root', 'visudo -cqf'), stdin: sudoRule(user, nginx) };
}

function firewall(sshPort: number): ProvisionCommand {
  return {
    command: script(
      'nexus-firewall',
      `before=$(ufw status verbose 2>&1)
ufw default deny incoming >/dev/null && ufw default allow outgoing >/dev/null || exit 1
for port in "$1" 80 443; do ufw allow "$port/tcp" >/dev/null || exit 1; done
ufw --force enable >/dev/null || exit 1
[ "$before" = "$(ufw status verbose 2>&1)" ] || echo "changed: firewall allows only ports $1, 80 and 443 in"`,
      String(sshPort),
    ),
  };
}

/** Key-only SSH. The file sorts first in sshd_config.d, because sshd keeps the first value it reads. */
export const SSHD_HARDENING = `# nexus: key-only SSH logins.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
`;

function sshHardening(): ProvisionCommand[] {
  return [
    { command: ensureFile('/etc/ssh/sshd_config.d/01-nexus.conf', '644', 'root:root'), stdin: SSHD_HARDENING },
    {
      command: script(
        'nexus-sshd-reload',
        `sshd -t || exit 1
sshd -T 2>/dev/null | grep -qx 'passwordauthentication no' || { echo "sshd still allows passwords: check that /etc/ssh/sshd_config includes sshd_config.d/*.conf first" >&2; exit 1; }
if [ -d /run/systemd/system ]; then systemctl reload ssh 2>/dev/null || systemctl reload sshd; elif [ -f /run/sshd.pid ]; then kill -HUP "$(cat /run/sshd.pid)"; else service ssh reload >/dev/null; fi`,
      ),
    },
  ];
}

function unattendedUpgrades(): ProvisionCommand {
  return {
    command: ensureFile('/etc/apt/apt.conf.d/20auto-upgrades', '644', 'root:root'),
    stdin: 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
  };
}

/** The same steps for a login that is not root: every command through `sudo -n` (never a password prompt). */
export function throughSudo(steps: ProvisionStep[]): ProvisionStep[] {
  return steps.map((step) => ({ ...step, commands: step.commands.map(({ command, stdin }) => ({ command: ['sudo', '-n', ...command], stdin })) }));
}

/**
 * Every step that brings a Debian/Ubuntu host to the state deploys expect. Each command checks before it
 * changes anything, so a second run changes nothing and reports nothing changed.
 */
export function provisionSteps(plan: ProvisionPlan): ProvisionStep[] {
  const role = ROLES[plan.role ?? 'app'];
  return [
    { title: 'Check the system', commands: [checkSystem()] },
    { title: `Install ${role.installs}`, commands: [installPackages(role.packages)] },
    { title: `Start ${role.started}`, commands: [startServices(role.services)] },
    { title: `Deploy user ${plan.deployUser} with the operator's key`, commands: [deployUser(plan.deployUser, plan.publicKey, role.groups), sudoRules(plan.deployUser, plan.nginxBinary)] },
    { title: `Directories under ${plan.root}`, commands: [directories(plan.root, plan.deployUser)] },
    { title: 'nginx: nexus snippets, the site and its ACME webroot', commands: nginxSetup(plan) },
    { title: `Firewall: only SSH (${plan.sshPort}), 80 and 443 in`, commands: [firewall(plan.sshPort)] },
    // After the firewall: the exporter never starts on a host whose ports are still open.
    nodeExporterStep(plan.nodeExporter, `${plan.root}/metrics`),
    ...(role === ROLES.app ? [apiMetricsStep(plan.apiMetrics)] : []),
    { title: 'SSH: keys only', commands: sshHardening() },
    { title: 'Unattended security upgrades', commands: [unattendedUpgrades()] },
  ];
}
