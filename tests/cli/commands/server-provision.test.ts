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

  it('When the node exporter is on for several hosts, then the plan shows each host with its own address, its ufw rule, and the balancer\'s on loopback', async () => {
    const text = await dryRun(
      project({
        hosts: ['203.0.113.10', '203.0.113.11'].map((address) => ({ address, host_key: PIN })),
        database: 'external',
        redis: 'external',
        env: { MEDIA_STORAGE: 's3', MEDIA_S3_BUCKET: 'shop-media' },
        load_balancer: { type: 'nginx', host: { address: '203.0.113.20', host_key: PIN } },
        monitoring: { node_exporter: { listen: { '203.0.113.10': '10.0.0.10:9100', '203.0.113.11': '10.0.0.11:9100', '203.0.113.20': '127.0.0.1:9100' }, allow_from: ['10.0.0.2'] } },
      }),
    );
    const [, first, second] = text.split(/^# The app host .*$/m);
    const balancer = second?.split('# The load balancer 203.0.113.20')[1];
    expect(first).toContain('# Prometheus node exporter on 10.0.0.10:9100, reachable from 10.0.0.2 only');
    expect(first).toContain('ARGS="--web.listen-address=10.0.0.10:9100 --collector.textfile.directory=/srv/shop/metrics"');
    expect(first).toMatch(/nexus-node-exporter-firewall 'firewall lets 10\.0\.0\.2 in to 10\.0\.0\.10:9100' 10\.0\.0\.2 10\.0\.0\.10 9100$/m);
    expect(second).toContain('# Prometheus node exporter on 10.0.0.11:9100, reachable from 10.0.0.2 only');
    expect(balancer).toContain('# Prometheus node exporter on 127.0.0.1:9100, this host only');
    expect(text).toMatch(/apt-get install -y -qq --no-install-recommends/);
  });

  it('When the node exporter would listen on a public address, then the plan is refused (exit 3) naming the key', async () => {
    const dir = project({ hosts: [{ address: '203.0.113.10', host_key: PIN }], monitoring: { node_exporter: { listen: '0.0.0.0:9100' } } });
    const result = await runNexus(['server', 'provision', '--target', 'production', '--dir', dir, '--dry-run', '--json']);
    expect(result.code).toBe(3);
    expect(result.json<{ error: { message: string } }>().error.message).toContain('targets.production.monitoring.node_exporter.listen: 0.0.0.0:9100 listens on every interface');
  });

  it('When there is no load balancer, then only the hosts are provisioned', async () => {
    const text = await dryRun(project({ hosts: [{ address: '203.0.113.10', host_key: PIN }] }));
    expect(text).not.toContain('# The load balancer');
    expect(text).not.toContain('set_real_ip_from');
    // Off by default: the step only removes an exporter nexus had set up.
    expect(text).toContain('# Prometheus node exporter: off (one nexus set up is removed)');
    expect(text).not.toContain('# The app host');
  });
});
