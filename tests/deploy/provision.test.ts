import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { expectExit, runNexus, type CliResult } from '../support/cli';
import { describeWith } from '../support/components';
import { namespaceHostAvailable, startNamespaceHost, type NamespaceHost } from '../support/namespace-host';

interface ProvisionJson {
  hosts: { host: string; unchanged: boolean; steps: { title: string; changes: string[] }[] }[];
}

describeWith('debootstrap + network namespaces (root)', namespaceHostAvailable, 'nexus server provision on a fresh Debian host (real SSH, apt, ufw, nginx, Docker)', () => {
  let host: NamespaceHost;
  let project: string;

  const provision = (args: string[] = []): Promise<CliResult> => runNexus(['server', 'provision', '--target', 'production', '--dir', project, '--json', ...args], { timeoutMs: 900_000 });

  beforeAll(async () => {
    host = await startNamespaceHost();
    project = mkdtempSync(join(tmpdir(), 'nexus-provision-project-'));
    writeFileSync(
      join(project, 'nexus.yml'),
      stringify({
        app: { name: 'shop' },
        targets: {
          production: {
            hosts: [{ address: host.address, host_key: host.hostKey }],
            ssh: { user: 'deploy', port: 22, key: host.clientKey },
            domains: ['shop.example.com'],
            root: '/srv/shop',
          },
        },
      }),
    );
  }, 600_000);

  afterAll(async () => {
    await host?.stop();
    rmSync(project, { recursive: true, force: true });
  }, 60_000);

  it('When run with --dry-run, then it prints every remote command and the files it would write, and changes nothing', async () => {
    const result = await provision(['--dry-run']);
    expectExit(result, 0);
    const text = result.json<{ dryRun: string }>().dryRun;
    expect(text).toContain('apt-get install');
    expect(text).toContain('ufw --force enable');
    expect(text).toContain('/etc/sudoers.d/nexus-deploy');
    expect(text).toContain('PasswordAuthentication no');
    expect(host.exec('id deploy >/dev/null 2>&1 && echo exists || echo absent').trim()).toBe('absent');
  }, 60_000);

  it('When run on the fresh host, then it installs and configures everything, and the deploy user can use Docker and reload nginx', async () => {
    const result = await provision();
    expectExit(result, 0);
    const [report] = result.json<ProvisionJson>().hosts;
    expect(report?.unchanged).toBe(false);
    const changes = report?.steps.flatMap((step) => step.changes).join('\n') ?? '';
    expect(changes).toMatch(/installed .*docker\.io/);
    expect(changes).toContain('created user deploy');

    expect(host.exec("ufw status verbose | grep -E '^(Status|Default)|ALLOW IN' ")).toMatch(/Status: active[\s\S]*deny \(incoming\)[\s\S]*22\/tcp[\s\S]*80\/tcp[\s\S]*443\/tcp/);
    const sshd = host.exec('sshd -T').split('\n');
    expect(sshd).toEqual(expect.arrayContaining(['passwordauthentication no', 'kbdinteractiveauthentication no', 'permitrootlogin without-password']));
    expect(host.exec('cat /etc/apt/apt.conf.d/20auto-upgrades')).toContain('Unattended-Upgrade "1"');
    expect(host.exec('stat -c "%U %a" /srv/shop /srv/shop/releases /srv/shop/acme')).toBe('deploy 755\ndeploy 750\ndeploy 755\n');
    // What a deploy needs, as the deploy user over its own SSH login.
    const asDeploy = (command: string) => host.exec(`su - deploy -c ${JSON.stringify(command)}`);
    expect(asDeploy('docker version --format {{.Server.Version}}')).toMatch(/^\d+\.\d+/);
    expect(asDeploy('(docker compose version || docker-compose version) 2>/dev/null | head -1')).toMatch(/version/i);
    expect(asDeploy('sudo -n /usr/sbin/nginx -t 2>&1')).toContain('test is successful');
    expect(asDeploy('sudo -n /usr/bin/id 2>&1 || true')).toMatch(/password is required|not allowed/);
    expect(host.exec('curl -s -o /dev/null -w "%{http_code}" -H "Host: shop.example.com" http://127.0.0.1/health/')).toBe('503');
  }, 900_000);

  it('When run a second time, then it changes nothing', async () => {
    const result = await provision();
    expectExit(result, 0);
    const [report] = result.json<ProvisionJson>().hosts;
    expect(report?.steps.filter((step) => step.changes.length > 0)).toEqual([]);
    expect(report?.unchanged).toBe(true);
  }, 600_000);

  it('When the pinned host key does not match, then it refuses before running anything', async () => {
    const wrong = host.hostKey.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    writeFileSync(
      join(project, 'nexus.yml'),
      stringify({ targets: { production: { hosts: [{ address: host.address, host_key: wrong }], ssh: { user: 'deploy', key: host.clientKey }, domains: ['shop.example.com'], root: '/srv/other' } } }),
    );
    const result = await provision();
    expectExit(result, 8);
    expect(host.exec('test -d /srv/other && echo yes || echo no').trim()).toBe('no');
  }, 60_000);
});
