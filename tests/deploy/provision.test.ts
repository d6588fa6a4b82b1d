import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { expectExit, runNexus, type CliResult } from '../support/cli';
import { describeWith, waitFor } from '../support/components';
import { namespaceHostAvailable, startNamespaceHost, type NamespaceHost } from '../support/namespace-host';
import { initProject, writeOverlay } from '../support/deploy-project';
import { dockerAvailable, importNodeBaseImage, startDockerd, type RunningDockerd } from '../support/docker';
import { dnsmasqAvailable, startDnsmasq, type RunningDnsmasq } from '../support/dnsmasq';
import { importPostgresImage } from '../support/postgres-image';
import { importRedisImage } from '../support/redis-image';
import { pipeImageOverSsh } from '../support/air-gap';

const REPOSITORY = join(__dirname, '..', '..');
const BASE_IMAGE = 'nexus-test-base:node20';
const POSTGRES_IMAGE = 'nexus-test-postgres:15';
const REDIS_IMAGE = 'nexus-test-redis:7';

interface ProvisionJson {
  hosts: { host: string; unchanged: boolean; steps: { title: string; changes: string[] }[] }[];
}

describeWith('debootstrap + network namespaces (root), Docker, dnsmasq', namespaceHostAvailable && dockerAvailable && dnsmasqAvailable, 'nexus server provision on a fresh Debian host (real SSH, apt, ufw, nginx, Docker)', () => {
  let host: NamespaceHost;
  let project: string;

  // The node exporter on the host's private address (10.251.x.2), as a Prometheus on that network would scrape it.
  const monitoring = () => ({ node_exporter: { listen: `${host.address}:9100` } });
  const provision = (args: string[] = []): Promise<CliResult> => runNexus(['server', 'provision', '--target', 'production', '--dir', project, '--json', ...args], { timeoutMs: 900_000 });

  beforeAll(async () => {
    host = await startNamespaceHost();
    // docs/deploy.md's quick start: `nexus init` with flags (no terminal); the defaults need nothing else here.
    project = initProject(
      ['--name', 'shop', '--host', host.address, '--host-key', host.hostKey, '--key', host.clientKey, '--domain', 'shop.example.com', '--mail', 'disabled', '--payment', 'simulated', '--tls-email', 'ops@example.com'],
      'nexus-provision-project-',
    );
    writeOverlay(project, { targets: { production: { monitoring: monitoring() } } });
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
    expect(text).toContain(`ARGS="--web.listen-address=${host.address}:9100 --collector.textfile.directory=/srv/shop/metrics"`);
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
    expect(host.exec('stat -c "%U %a" /srv/shop /srv/shop/releases /srv/shop/acme /srv/shop/metrics')).toBe('deploy 755\ndeploy 750\ndeploy 755\ndeploy 755\n');
    // What a deploy needs, as the deploy user over its own SSH login.
    const asDeploy = (command: string) => host.exec(`su - deploy -c ${JSON.stringify(command)}`);
    expect(asDeploy('docker version --format {{.Server.Version}}')).toMatch(/^\d+\.\d+/);
    expect(asDeploy('(docker compose version || docker-compose version) 2>/dev/null | head -1')).toMatch(/version/i);
    expect(asDeploy('sudo -n /usr/sbin/nginx -t 2>&1')).toContain('test is successful');
    expect(asDeploy('sudo -n /usr/bin/id 2>&1 || true')).toMatch(/password is required|not allowed/);
    expect(host.exec('curl -s -o /dev/null -w "%{http_code}" -H "Host: shop.example.com" http://127.0.0.1/health/')).toBe('503');

    // The node exporter: bound to the private address alone (not 0.0.0.0), ufw letting its private range in,
    // and answering from the other end of that network (this machine's side of the veth).
    expect(changes).toMatch(/installed prometheus-node-exporter/);
    expect(host.exec("ss -ltnH 'sport = :9100'").trim().split('\n').map((line) => line.split(/\s+/)[3])).toEqual([`${host.address}:9100`]);
    expect(host.exec('ufw status')).toMatch(new RegExp(`^${host.address.replace(/\./g, '\\.')} 9100/tcp +ALLOW +10\\.0\\.0\\.0/8 +# nexus-node-exporter$`, 'm'));
    // What the scheduled jobs write in <root>/metrics (as the deploy user) reaches the exporter's textfile collector.
    host.exec(`su - deploy -c ${JSON.stringify("printf 'nexus_job_last_exit_code{job=\"db-backup\"} 0\\n' > /srv/shop/metrics/nexus-job-db-backup.prom")}`);
    const metrics = await fetch(`http://${host.address}:9100/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('node_exporter_build_info');
    expect(text).toMatch(/^nexus_job_last_exit_code\{job="db-backup"\} 0$/m);
  }, 900_000);

  it('When run a second time, then it changes nothing', async () => {
    const result = await provision();
    expectExit(result, 0);
    const [report] = result.json<ProvisionJson>().hosts;
    expect(report?.steps.filter((step) => step.changes.length > 0)).toEqual([]);
    expect(report?.unchanged).toBe(true);
  }, 600_000);

  describe('the operator\'s reading commands on the provisioned host (Debian 12: Docker 20.10, docker-compose 1.29), as the deploy user', () => {
    const nexus = (args: string[]): Promise<CliResult> => runNexus([...args, '--target', 'production', '--dir', project], { timeoutMs: 120_000 });

    it('When nginx\'s logs are read, then they come back through the adm group; without it the command fails with the reason', async () => {
      host.exec('curl -s -o /dev/null -H "Host: shop.example.com" http://127.0.0.1/nexus-logs-probe');
      expect(host.exec('id -nG deploy').split(/\s+/)).toEqual(expect.arrayContaining(['docker', 'adm']));
      const json = await nexus(['logs', 'nginx', '--lines', '5', '--json']);
      expectExit(json, 0);
      const lines = json.json<{ lines: string[] }>().lines;
      expect(lines).toContain('==> /var/log/nginx/access.log <==');
      expect(lines.some((line) => line.includes('GET /nexus-logs-probe'))).toBe(true);
      const plain = await nexus(['logs', 'nginx', '--grep', 'nexus-logs-probe']);
      expectExit(plain, 0);
      expect(plain.stdout).toMatch(/GET \/nexus-logs-probe .* 503 /);

      host.exec('gpasswd -d deploy adm >/dev/null');
      try {
        for (const args of [['--json'], []]) {
          const refused = await nexus(['logs', 'nginx', ...args]);
          expectExit(refused, 1);
          expect(args.length > 0 ? refused.json<{ error: { message: string } }>().error.message : refused.stderr).toContain('deploy cannot read /var/log/nginx/access.log: -rw-r----- www-data:adm; run nexus server provision');
        }
      } finally {
        host.exec('usermod -aG adm deploy');
      }
    }, 300_000);
  });

  it('When the renewal timer is installed, then cron runs the job as the deploy user at the time given', async () => {
    const ssl = (args: string[]): Promise<CliResult> => runNexus(['ssl', ...args, '--target', 'production', '--dir', project, '--json'], { timeoutMs: 120_000 });
    // The next minute on the host's clock that is at least 20 s away.
    const [hour, minute, second] = host.exec('date +%H:%M:%S').trim().split(':').map(Number) as [number, number, number];
    const at = (hour * 60 + minute + (second < 40 ? 1 : 2)) % (24 * 60);
    const time = `${String(Math.floor(at / 60)).padStart(2, '0')}:${String(at % 60).padStart(2, '0')}`;
    const result = await ssl(['install-timer', '--at', time]);
    expectExit(result, 0);
    const report = result.json<{ schedule: string; changed: string[]; firstRun: null }>();
    expect(report.schedule).toBe(`${at % 60} ${Math.floor(at / 60)} * * * sh /srv/shop/jobs/ssl-renew/run.sh >> /srv/shop/jobs/ssl-renew/job.log 2>&1 # nexus job ssl-renew: shop/production`);
    expect(report.firstRun).toBeNull();
    expect(host.exec('crontab -l -u deploy')).toBe(`${report.schedule}\n`);
    expect(host.exec('cat /home/deploy/.ssh/authorized_keys')).toMatch(/^restrict,command="sh \/srv\/shop\/jobs\/ssl-renew\/gate\.sh",from="127\.0\.0\.1,::1" ssh-ed25519 \S+ nexus-job-ssl-renew-shop@production$/m);
    expect(host.exec('stat -c "%U %a" /srv/shop/jobs/ssl-renew /srv/shop/jobs/ssl-renew/id_ed25519 /srv/shop/jobs/ssl-renew/nexus.yml')).toBe('deploy 700\ndeploy 600\ndeploy 600\n');
    expect((await ssl(['install-timer', '--at', time])).json<{ changed: string[] }>().changed).toEqual([]);

    // Nothing is deployed here, so the job records exit 4 ("nothing deployed"): proof that cron ran it.
    await waitFor('cron to run the renewal job', () => Promise.resolve(host.exec('test -f /srv/shop/jobs/ssl-renew/last-run.json && echo yes || echo no').trim() === 'yes'), 150_000);
    const timer = (await ssl(['status'])).json<{ timer: object }>().timer;
    expect(timer).toMatchObject({ installed: true, schedule: report.schedule, lastRun: { exit: 4 } });
    expect(host.exec('cat /srv/shop/jobs/ssl-renew/job.log')).toContain('nothing is deployed on this host yet');

    const removed = await ssl(['install-timer', '--remove']);
    expectExit(removed, 0);
    expect(host.exec('crontab -l -u deploy 2>&1 || true')).toMatch(/no crontab for deploy/);
    expect(host.exec('cat /home/deploy/.ssh/authorized_keys')).not.toContain('nexus-job-ssl-renew');
    expect(host.exec('test -d /srv/shop/jobs/ssl-renew && echo yes || echo no').trim()).toBe('no');
  }, 300_000);

  describe('the quick start deployed on the provisioned host, air-gapped (images loaded as docs/deploy.md §11 says), then the operator\'s checks', () => {
    let workstation: RunningDockerd;
    let resolver: RunningDnsmasq;
    const nexus = (args: string[], timeoutMs = 120_000): Promise<CliResult> => runNexus([...args, '--target', 'production', '--dir', project], { timeoutMs, env: { DOCKER_HOST: workstation.host } });

    beforeAll(async () => {
      // The operator's workstation: where the image is built (build.on: local) and the services' images are.
      workstation = await startDockerd();
      importNodeBaseImage(workstation, BASE_IMAGE);
      importPostgresImage(workstation, POSTGRES_IMAGE);
      importRedisImage(workstation, REDIS_IMAGE);
      await pipeImageOverSsh(workstation, [POSTGRES_IMAGE, REDIS_IMAGE], host.ssh('deploy'));
      // The site's DNS record, in a resolver the target names (dns.resolvers), as a private setup does (docs/https.md).
      resolver = await startDnsmasq('example.com', [`host-record=shop.example.com,${host.address}`]);
      writeOverlay(project, {
        targets: {
          production: {
            monitoring: monitoring(),
            services: { postgres_image: POSTGRES_IMAGE, redis_image: REDIS_IMAGE },
            build: { on: 'local', context: REPOSITORY, network: 'host', args: { BUILD_IMAGE: BASE_IMAGE, RUNTIME_IMAGE: BASE_IMAGE } },
            dns: { resolvers: [resolver.address], system: false },
            health: { timeout: 60 },
            drain_seconds: 1,
          },
        },
      });
    }, 900_000);

    afterAll(async () => {
      await Promise.all([workstation?.stop(), resolver?.stop()]);
    }, 120_000);

    it('When deployed, then the database and Redis run from the loaded images and nginx serves the API', async () => {
      const result = await nexus(['deploy', '--json'], 900_000);
      expectExit(result, 0);
      expect(result.json<{ hosts: { status: string }[] }>().hosts.map((entry) => entry.status)).toEqual(['deployed']);
      const images = host.exec("docker ps --format '{{.Image}}' | sort -u").trim().split('\n');
      expect(images).toEqual(expect.arrayContaining([POSTGRES_IMAGE, REDIS_IMAGE]));
      expect(host.exec('curl -s -o /dev/null -w "%{http_code}" -H "Host: shop.example.com" http://127.0.0.1/health/readiness/')).toBe('200');
    }, 900_000);

    it('When the services\' logs are read with --since (docker-compose 1.29 has none), then they come back, exit 0', async () => {
      for (const service of ['postgres', 'redis']) {
        const json = await nexus(['logs', service, '--since', '10m', '--json']);
        expectExit(json, 0);
        expect(json.json<{ lines: string[] }>().lines.join('\n')).toMatch(service === 'postgres' ? /ready to accept connections/ : /Ready to accept connections/);
      }
      const plain = await nexus(['logs', 'postgres', '--since', '10m']);
      expectExit(plain, 0);
      expect(plain.stdout).toMatch(/ready to accept connections/);
      // A time after every line: nothing, and still a success.
      const future = await nexus(['logs', 'app', '--since', new Date(Date.now() + 3_600_000).toISOString().slice(0, 19), '--json']);
      expectExit(future, 0);
      expect(future.json<{ lines: string[] }>().lines).toEqual([]);
    }, 300_000);

    it('When debug runs, then every probe works on the host nexus provisioned and there is no warning', async () => {
      const result = await nexus(['debug', '--json']);
      expectExit(result, 0);
      const [report] = result.json<{ hosts: { warnings: string[]; probes: { name: string; ok: boolean; output: string }[] }[] }>().hosts;
      expect(report?.warnings).toEqual([]);
      expect(report?.probes.filter((probe) => !probe.ok)).toEqual([]);
      const output = new Map(report?.probes.map((probe) => [probe.name, probe.output]));
      expect(output.get('nginx')).toContain('test is successful');
      expect(output.get('firewall')).toContain('Status: active');
      expect(output.get('docker')).not.toContain('unknown flag');
    }, 180_000);

    it('When health checks the new site, then it uses plain HTTP (no certificate yet) at the address the target\'s resolver gives, or the one given', async () => {
      const result = await nexus(['health', '--json']);
      expectExit(result, 0);
      const report = result.json<{ url: string; connection: { scheme: string; address: string; addressReason: string }; checks: { name: string; ok: boolean }[] }>();
      expect(report.url).toBe('http://shop.example.com/');
      expect(report.connection).toMatchObject({ scheme: 'http', address: host.address, addressReason: `resolver ${resolver.address}` });
      expect(report.checks.filter((check) => !check.ok)).toEqual([]);
      const direct = await nexus(['health', '--address', host.address, '--json']);
      expectExit(direct, 0);
      expect(direct.json<{ connection: { address: string } }>().connection.address).toBe(host.address);
    }, 180_000);
  });

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
