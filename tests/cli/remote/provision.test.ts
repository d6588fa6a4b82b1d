import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureFile, provisionSteps, throughSudo, type ProvisionPlan } from '../../../cli/remote/provision';
import type { RemoteCommand } from '../../../cli/remote/shell';

const PLAN: ProvisionPlan = {
  deployUser: 'deploy',
  publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKey operator@laptop',
  sshPort: 2222,
  root: '/srv/shop',
  app: 'shop',
  nginxFiles: { 'nexus-http.conf': 'limit_req_zone …;\n', 'nexus-proxy.conf': 'proxy_http_version 1.1;\n' },
  initialSite: 'server { listen 80; }\n',
  siteFile: '/srv/shop/nginx/site.conf',
  nginxBinary: '/usr/sbin/nginx',
};

function run(command: RemoteCommand, stdin: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command[0] as string, command.slice(1), { input: stdin, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();

describe('remote command builders: provisioning', () => {
  it('When a file is ensured twice with the same content, then only the first run changes it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nexus-ensure-')), 'etc', 'thing.conf');
    expect(run(ensureFile(file, '640', `${user}:${group}`), 'a = 1\n')).toEqual({ code: 0, stdout: `changed: wrote ${file}\n`, stderr: '' });
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(run(ensureFile(file, '640', `${user}:${group}`), 'a = 1\n')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(run(ensureFile(file, '640', `${user}:${group}`), 'a = 2\n').stdout).toBe(`changed: wrote ${file}\n`);
  });

  it('When the validation command rejects the new content, then the old file stays', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nexus-ensure-')), 'sudoers');
    writeFileSync(file, 'good\n');
    const refused = run(ensureFile(file, '440', `${user}:${group}`, 'grep -q good'), 'bad\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("'grep -q good' rejected it");
    expect(readFileSync(file, 'utf8')).toBe('good\n');
  });

  it('When the plan is built, then the deploy user may run exactly nginx -t, reload and ufw status as root, joins docker and adm, and the firewall keeps the SSH port open', () => {
    const steps = provisionSteps(PLAN);
    const all = steps.flatMap((step) => step.commands);
    const sudoers = all.find(({ command }) => command.includes('/etc/sudoers.d/nexus-deploy'));
    expect(sudoers?.stdin).toBe(
      "# nexus: the deploy user may test and reload nginx and read the firewall's status (for nexus debug), nothing else.\ndeploy ALL=(root) NOPASSWD: /usr/sbin/nginx -t, /usr/sbin/nginx -s reload, /usr/sbin/ufw status verbose\n",
    );
    expect(sudoers?.command.slice(3)).toEqual(['nexus-ensure-file', '/etc/sudoers.d/nexus-deploy', '440', 'root:root', 'visudo -cqf']);
    expect(all.find(({ command }) => command.includes('nexus-firewall'))?.command.slice(3)).toEqual(['nexus-firewall', '2222']);
    const deployUser = all.find(({ command }) => command.includes('nexus-deploy-user'))?.command;
    expect(deployUser?.slice(3)).toEqual(['nexus-deploy-user', 'deploy', PLAN.publicKey]);
    expect(deployUser?.[2]).toContain('for group in docker adm; do');
    expect(all.find(({ command }) => command.includes('/etc/nginx/conf.d/nexus-http.conf'))?.stdin).toBe('limit_req_zone …;\n');
    expect(all.find(({ command }) => command.includes('/etc/nginx/snippets/nexus-proxy.conf'))?.stdin).toBe('proxy_http_version 1.1;\n');
    expect(all.find(({ command }) => command.includes('/etc/nginx/sites-enabled/shop.conf'))?.stdin).toContain('include /srv/shop/nginx/site.conf;');
    expect(all.find(({ command }) => command.includes('/etc/ssh/sshd_config.d/01-nexus.conf'))?.stdin).toContain('PasswordAuthentication no');
  });

  it("When the plan is for the nginx load balancer's host, then it installs and starts no Docker, and the deploy user joins adm only", () => {
    const all = provisionSteps({ ...PLAN, role: 'load-balancer' }).flatMap((step) => step.commands);
    const script = (name: string) => all.find(({ command }) => command.includes(name))?.command[2] ?? '';
    expect(script('nexus-packages')).toContain('for package in nginx ufw unattended-upgrades curl ca-certificates sudo openssh-server iptables cron bind9-dnsutils; do');
    expect(script('nexus-start-services')).toMatch(/start_service nginx && start_service cron$/);
    expect(script('nexus-deploy-user')).toContain('for group in adm; do');
    const code = all.flatMap(({ command }) => command.join(' ').split('\n')).filter((line) => !line.trim().startsWith('#'));
    expect(code.filter((line) => /docker/i.test(line))).toEqual([]);
    // The same nginx powers as an app host's: test and reload.
    expect(all.find(({ command }) => command.includes('/etc/sudoers.d/nexus-deploy'))?.stdin).toContain('/usr/sbin/nginx -t, /usr/sbin/nginx -s reload');
  });

  it.each(['app', 'load-balancer'] as const)('When the plan for the %s host has a node exporter, then its step follows the firewall step; without one, the step removes what nexus had set up', (role) => {
    const titles = (plan: ProvisionPlan) => provisionSteps(plan).map((step) => step.title);
    const on = titles({ ...PLAN, role, nodeExporter: { listen: '10.0.0.5:9100', allowFrom: ['10.0.0.0/8'] } });
    const afterFirewall = on.slice(on.indexOf('Firewall: only SSH (2222), 80 and 443 in'), -2);
    expect(afterFirewall.slice(0, 2)).toEqual(['Firewall: only SSH (2222), 80 and 443 in', 'Prometheus node exporter on 10.0.0.5:9100, reachable from 10.0.0.0/8 only']);
    // The API's metrics listener is an app host's only (the balancer runs no API).
    expect(afterFirewall.slice(2)).toEqual(role === 'app' ? ['API metrics for Prometheus (nginx): off'] : []);
    expect(titles({ ...PLAN, role })).toContain('Prometheus node exporter: off (one nexus set up is removed)');
  });

  it('When an app host serves the API metrics on a private address, then ufw lets the allowed ranges in to that address and port only, under a comment of its own', () => {
    const [step] = provisionSteps({ ...PLAN, apiMetrics: { listen: '10.0.0.5:9464', allowFrom: ['10.0.0.2'] } }).filter((candidate) => candidate.title.startsWith('API metrics'));
    expect(step?.title).toBe('API metrics for Prometheus (nginx): on 10.0.0.5:9464, reachable from 10.0.0.2 only');
    const command = step?.commands[0]?.command ?? [];
    expect(command.slice(-3)).toEqual(['10.0.0.2', '10.0.0.5', '9464']);
    expect(command.join(' ')).toContain('comment nexus-api-metrics');
    expect(command.join(' ')).not.toContain('nexus-node-exporter');
  });

  it('When provisioning logs in as a user other than root, then every command goes through sudo -n, stdin unchanged', () => {
    const [first] = throughSudo(provisionSteps(PLAN));
    expect(first?.commands[0]?.command.slice(0, 4)).toEqual(['sudo', '-n', 'sh', '-c']);
    const withStdin = throughSudo(provisionSteps(PLAN)).flatMap((step) => step.commands).find(({ stdin }) => stdin?.includes('NOPASSWD'));
    expect(withStdin?.command.slice(0, 2)).toEqual(['sudo', '-n']);
  });
});
