import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runNexus } from '../../support/cli';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';

/** A project whose operator key exists (provisioning installs its public half), with the given target. */
function project(target: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-provision-plan-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'operator'), '-C', 'ops@example.com']);
  const production = { domains: ['shop.example.com'], root: '/srv/shop', ssh: { key: join(dir, 'operator') }, ...target };
  writeFileSync(join(dir, 'nexus.yml'), stringify({ app: { name: 'shop' }, targets: { production } }));
  return dir;
}

const dryRun = async (dir: string) => {
  const result = await runNexus(['server', 'provision', '--target', 'production', '--dir', dir, '--dry-run', '--json']);
  expect(result.code).toBe(0);
  return result.json<{ dryRun: string }>().dryRun;
};

describe('nexus server provision --dry-run: which hosts, with which first site', () => {
  it("When an nginx load balancer is declared, then its host is provisioned too, its first site holding every app host out of rotation", async () => {
    const text = await dryRun(
      project({
        hosts: ['203.0.113.10', '203.0.113.11'].map((address) => ({ address, host_key: PIN })),
        database: 'external',
        redis: 'external',
        env: { MEDIA_STORAGE: 's3' },
        load_balancer: { type: 'nginx', host: { address: '203.0.113.20', host_key: PIN } },
      }),
    );
    const [apps, balancer] = text.split('# The load balancer 203.0.113.20\n');
    expect(balancer).toContain('server 203.0.113.10:80 max_fails=2 fail_timeout=10s down;\n  server 203.0.113.11:80 max_fails=2 fail_timeout=10s down;');
    expect(apps).toContain('server 127.0.0.1:8000 max_fails=0;');
    // App hosts trust the balancer for the client's address.
    expect(apps).toContain('set_real_ip_from 203.0.113.20;');
  });

  it('When there is no load balancer, then only the hosts are provisioned', async () => {
    const text = await dryRun(project({ hosts: [{ address: '203.0.113.10', host_key: PIN }] }));
    expect(text).not.toContain('# The load balancer');
    expect(text).not.toContain('set_real_ip_from');
  });
});
