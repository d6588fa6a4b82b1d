import { execFile, execFileSync } from 'node:child_process';
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { merge } from '../../cli/deploy-config/load';
import { renderNginxSite } from '../../cli/remote/nginx-site';
import { expectExit, runNexus, type CliResult } from '../support/cli';
import { describeWith, freePort } from '../support/components';
import { fillSecret, initProject, projectSecrets, sshdInitFlags, writeOverlay } from '../support/deploy-project';
import { adminQuery, withDatabase } from '../support/database';
import { dockerAvailable, forwardPort, importNodeBaseImage, startDockerd, type RunningDockerd } from '../support/docker';
import { getWithHost, requestWithHost, startLoad } from '../support/load';
import { NginxPrefix, nginxAvailable } from '../support/nginx';
import { pebbleAvailable, startPebble } from '../support/pebble';
import { startSshd, sshdAvailable, type RunningSshd } from '../support/sshd';
import { importPostgresImage, postgresImageAvailable } from '../support/postgres-image';
import { loadOverSsh } from '../support/air-gap';
import { SYSTEM_POSTGRES, systemPostgresAvailable, tableDigests } from '../support/system-postgres';
import { servedSerial } from '../support/tls';

const REPOSITORY = join(__dirname, '..', '..');
const BASE_IMAGE = 'nexus-test-base:node20';
const DOMAIN = 'shop.example.com';
const PASSWORD = 'Velvet-Harbor-Lantern-92';

/** A POST the webhook receiver got from a worker: its headers and its body exactly as sent (the signature covers those bytes). */
interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
}

interface DeployJson {
  release: { id: string; image: string };
  hosts: { host: string; status: string; colour?: string; port?: number; migrations?: string[]; backup?: { id?: string; file: string; bytes: number }; pruned?: string[]; prunedBackups?: string[] }[];
}

/** Two free loopback ports in a row: the blue and green colours' ports. */
async function freePortPair(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer().once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (;;) {
    const port = randomInt(20_000, 60_000);
    if ((await free(port)) && (await free(port + 1))) return port;
  }
}

describeWith('sshd + dockerd + nginx + Pebble + PostgreSQL on 5432 + debootstrap (root)', sshdAvailable && dockerAvailable && nginxAvailable && pebbleAvailable && systemPostgresAvailable && postgresImageAvailable, 'nexus deploy end to end (real SSH, Docker and nginx)', () => {
  let sshd: RunningSshd;
  let dockerd: RunningDockerd;
  /** The operator's machine in the air-gapped recipe (docs/deploy.md §11): it has the images, the host gets them over SSH. */
  let workstation: RunningDockerd;
  let nginx: NginxPrefix;
  let project: string;
  let httpPort: number;
  let httpsPort: number;
  let appPort: number;
  /** Where the host's nginx serves the API's metrics (monitoring.api_metrics), and the token a scraper sends. */
  let metricsPort: number;
  const metricsToken = randomBytes(24).toString('hex');
  let secrets: Record<string, string>;
  let shopSubnet: string;
  /** The shop's database as this machine reaches it (for `nexus users promote --database-url`). */
  let localDatabaseUrl: string;
  /** The webhook receiver: on the shop network's gateway, where the workers' containers reach it. */
  let receiverUrl: string;
  const deliveries: Delivery[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  const deploy = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runNexus([...args, '--target', 'production', '--dir', project, '--json'], { env: { ...env, NEXUS_OPERATOR: 'e2e@test' }, timeoutMs: 600_000 });
  const throughNginx = (path: string) => getWithHost(`http://127.0.0.1:${httpPort}${path}`, DOMAIN);
  const colourContainers = (colour: string) => dockerd.docker(['ps', '-q', '--filter', `label=com.docker.compose.project=shop-${colour}`]).trim();
  /** The shop's running worker containers: `<project> <status>`, e.g. `shop-green Up 20 seconds (healthy)`. */
  const runningWorkers = () =>
    dockerd
      .docker(['ps', '--filter', 'label=com.docker.compose.service=worker', '--format', '{{.Label "com.docker.compose.project"}} {{.Status}}'])
      .split('\n')
      .filter((line) => line.startsWith('shop-'));
  const workerProjects = () => runningWorkers().map((line) => line.split(' ')[0]);
  const throughNginxAs = (method: string, path: string, token?: string, json?: unknown) =>
    requestWithHost(method, `http://127.0.0.1:${httpPort}${path}`, DOMAIN, { json, headers: token ? { Authorization: `Bearer ${token}` } : {} });
  /** A customer registered through nginx: their access token. */
  const registerCustomer = async (): Promise<{ email: string; access: string }> => {
    const suffix = randomBytes(4).toString('hex');
    const email = `e2e-${suffix}@example.com`;
    const response = await throughNginxAs('POST', '/api/v1/auth/register/', undefined, { email, username: `e2e_${suffix}`, password: PASSWORD, password_confirm: PASSWORD });
    expect([response.status, response.body]).toEqual([201, expect.any(String)]);
    return { email, access: (JSON.parse(response.body) as { access: string }).access };
  };
  const expectHealthyLoad = async <T>(run: () => Promise<T>): Promise<T> => {
    // Steady, not saturating: back-to-back clients take the two cores from the deploy they watch (minutes of CI).
    const load = startLoad(`http://127.0.0.1:${httpPort}`, DOMAIN, ['/health/readiness/', '/api/v1/products/', '/api/v1/categories/'], 4, 25);
    const result = await run();
    const traffic = await load.stop();
    expect({ failed: traffic.failed, failures: traffic.failures }).toEqual({ failed: 0, failures: [] });
    expect(traffic.ok).toBeGreaterThan(50);
    return result;
  };

  beforeAll(async () => {
    sshd = await startSshd();
    closers.push(() => sshd.stop());
    dockerd = await startDockerd();
    closers.push(() => dockerd.stop());
    // No registry is reachable: the base image is made on the workstation and loaded as docs/deploy.md §11 says.
    workstation = await startDockerd();
    closers.push(() => workstation.stop());
    importNodeBaseImage(workstation, BASE_IMAGE);
    await loadOverSsh(workstation, BASE_IMAGE, sshd, dockerd.host);

    // The network the releases share, made here with a known gateway that forwards to PostgreSQL and Redis.
    const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 255)}`;
    shopSubnet = subnet;
    dockerd.docker(['network', 'create', '--subnet', `${subnet}.0/24`, '--gateway', `${subnet}.1`, 'shop-backend']);
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    const pg = await forwardPort(`${subnet}.1`, pgPort, Number(new URL(SYSTEM_POSTGRES).port || 5432));
    const redis = await forwardPort(`${subnet}.1`, redisPort, Number(new URL(process.env.NEXUS_TEST_REDIS_URL as string).port || 6379));
    closers.push(() => pg.close(), () => redis.close());
    const database = `nexus_e2e_${process.pid}_${randomBytes(3).toString('hex')}`;
    await adminQuery((client) => client.query(`CREATE DATABASE ${database}`), SYSTEM_POSTGRES);
    closers.push(() => adminQuery((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`), SYSTEM_POSTGRES));
    localDatabaseUrl = withDatabase(SYSTEM_POSTGRES, database);
    const databaseUrl = new URL(localDatabaseUrl);
    databaseUrl.hostname = `${subnet}.1`;
    databaseUrl.port = String(pgPort);

    // The webhook receiver, on the network's gateway like the forwarders: reachable from the workers' containers only.
    const receiverPort = await freePort();
    const receiver = createHttpServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        deliveries.push({ path: req.url ?? '', headers: req.headers, raw });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve, reject) => receiver.once('error', reject).listen(receiverPort, `${subnet}.1`, resolve));
    closers.push(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    receiverUrl = `http://${subnet}.1:${receiverPort}/hooks/nexus`;

    appPort = await freePortPair();
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    nginx = new NginxPrefix();
    closers.push(() => nginx.stop());
    const site = { app: 'shop', target: 'production', domains: [DOMAIN], upstreamPort: appPort, webroot: nginx.webroot, nginxDir: nginx.dir, httpPort, httpsPort, bodyLimit: '6m', ipv6: false };
    await nginx.start(renderNginxSite(site), httpPort);

    // docs/deploy.md's quick start: init (flags, no terminal), then the URLs init left to fill in.
    project = initProject([...sshdInitFlags(sshd, join(sshd.remoteRoot, 'srv'), { domain: DOMAIN }), '--database', 'external', '--redis', 'external'], 'nexus-e2e-project-');
    closers.push(async () => rmSync(project, { recursive: true, force: true }));
    fillSecret(project, 'DATABASE_URL', databaseUrl.toString());
    fillSecret(project, 'REDIS_URL', `redis://${subnet}.1:${redisPort}/0`);
    // monitoring.api_metrics (below) makes METRICS_TOKEN a required secret, which init did not know of.
    appendFileSync(join(project, '.nexus', 'secrets'), `METRICS_TOKEN=${metricsToken}\n`);
    secrets = projectSecrets(project);
    metricsPort = await freePort();
    // What this machine needs besides (the documented per-target overlay): its ports, Docker daemon, nginx
    // prefix and base images, and shorter waits.
    writeOverlay(project, {
      app: {
        port: appPort,
        // The load generator is one client behind nginx: the per-IP route-class limits would throttle it.
        // The webhook receiver is on a private address: allowed for this test (the SSRF guard refuses it otherwise).
        env: { REDIS_KEY_PREFIX: `e2e-${randomBytes(4).toString('hex')}:`, LOG_LEVEL: 'info', RATE_LIMIT_READS: '1000000/60', RATE_LIMIT_WRITES: '1000000/60', WEBHOOK_ALLOW_HOSTS: `${subnet}.1` },
      },
      targets: {
        production: {
          keep_releases: 3,
          health: { timeout: 30 },
          drain_seconds: 2,
          docker_host: dockerd.host,
          nginx: nginx.targetSettings(httpPort, httpsPort),
          monitoring: { api_metrics: { listen: `127.0.0.1:${metricsPort}` } },
          build: { on: 'host', context: REPOSITORY, network: 'host', args: { BUILD_IMAGE: BASE_IMAGE, RUNTIME_IMAGE: BASE_IMAGE } },
        },
      },
    });
  }, 300_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }, 120_000);

  let first: DeployJson;
  let second: DeployJson;

  it('When a production setting the API requires is missing, then deploy exits 3 before any build, naming it and where to set it, and touches nothing on the host', async () => {
    const yml = readFileSync(join(project, 'nexus.yml'), 'utf8');
    const images = dockerd.docker(['images', '-q', '--no-trunc']);
    writeFileSync(join(project, 'nexus.yml'), yml.replace(/^ {4}PAYMENT_PROVIDER: .*\n/m, ''));
    try {
      const result = await deploy(['deploy']);
      expectExit(result, 3);
      const error = result.json<{ error: { code: string; message: string } }>().error;
      expect(error.code).toBe('DEPLOY_CONFIG');
      expect(error.message).toContain('PAYMENT_PROVIDER: production must name its payment provider');
      expect(error.message).toContain('→ set PAYMENT_PROVIDER under env: in nexus.yml');
      expect(error.message).not.toContain(secrets.JWT_SECRET as string);
    } finally {
      writeFileSync(join(project, 'nexus.yml'), yml);
    }
    // No release directory, lock or image: the host is as it was.
    expect(existsSync(join(sshd.remoteRoot, 'srv'))).toBe(false);
    expect(dockerd.docker(['images', '-q', '--no-trunc'])).toBe(images);
  }, 120_000);

  it('When the first deploy runs, then it builds the repository Dockerfile on the host, backs up and migrates the database, and nginx serves the API', async () => {
    const result = await deploy(['deploy']);
    expectExit(result, 0);
    first = result.json<DeployJson>();
    const [host] = first.hosts;
    expect(host).toMatchObject({ status: 'deployed', colour: 'blue', port: appPort });
    expect(host?.migrations?.length).toBeGreaterThan(5);
    expect(host?.backup?.bytes).toBeGreaterThan(0);
    expect(statSync(host?.backup?.file as string).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(host?.backup?.file as string)).mode & 0o777).toBe(0o700);
    // The pre-migration backup has its signed manifest: restorable and checkable like any other.
    const manifest = JSON.parse(readFileSync((host?.backup?.file as string).replace(/\.dump$/, '.json'), 'utf8')) as { kind: string; before: string; migration: { count: number } };
    expect(manifest).toMatchObject({ kind: 'pre-migration', before: first.release.id, migration: { count: 0 }, signature: { algorithm: 'hmac-sha256', keyId: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    expect(dockerd.docker(['image', 'inspect', '--format', '{{.Config.User}}', first.release.image]).trim()).toBe('10001:10001');
    const ready = await throughNginx('/health/readiness/');
    expect(ready.status).toBe(200);
    expect((JSON.parse(ready.body) as { status: string }).status).toBe('ready');
    expect((await throughNginx('/api/v1/products/')).status).toBe(200);
    const env = join(sshd.remoteRoot, 'srv', 'releases', first.release.id, '.env');
    expect(statSync(env).mode & 0o777).toBe(0o600);
    // The API never needs the backup key: it is not in the release's env.
    expect(readFileSync(env, 'utf8')).not.toContain(secrets.BACKUP_SIGNING_KEY);
    // Links in events and mail: the site as nginx serves it (no certificate yet: plain HTTP on its port).
    expect(readFileSync(env, 'utf8')).toMatch(new RegExp(`^PUBLIC_URL='?http://${DOMAIN.replaceAll('.', '\\.')}:${httpPort}'?$`, 'm'));
    expect(readFileSync(join(nginx.dir, 'site.conf'), 'utf8')).toContain(`server 127.0.0.1:${appPort} `);
    // The delivery worker runs beside the API, healthy (the deploy waited for it).
    expect(runningWorkers()).toEqual([expect.stringMatching(/^shop-blue Up .*\(healthy\)$/)]);
  }, 900_000);

  it('When the host\'s metrics listener is scraped, then the serving API\'s metrics come through nginx with the token only, never through the public site', async () => {
    const scrape = (token?: string) => fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    const scraped = await scrape(metricsToken);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^nexus_http_requests_total\{method="GET",route="\/health\/readiness\/",status_class="2xx"\} [1-9]/m);
    expect((await scrape()).status).toBe(401);
    expect((await scrape('not-the-token-0123456789')).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/api/v1/products/`)).status).toBe(404);
    const publicSite = await requestWithHost('GET', `http://127.0.0.1:${httpPort}/metrics`, DOMAIN, { headers: { Authorization: `Bearer ${metricsToken}` } });
    expect(publicSite.status).toBe(404);
  });

  it('When status is asked of the deployed target, then the host is ready with its headline metrics, and the missing certificate and unverified backup are what needs attention (exit 11)', async () => {
    const result = await deploy(['status']);
    expectExit(result, 11);
    const { error } = result.json<{ error: { code: string; details: { hosts: { ready: boolean; serving: { colour: string }; metrics: { requests: number } | null }[]; problems: { check: string }[] } } }>();
    expect(error.code).toBe('NEEDS_ATTENTION');
    expect(error.details.hosts).toEqual([expect.objectContaining({ ready: true, serving: expect.objectContaining({ colour: 'blue' }), metrics: expect.objectContaining({ requests: expect.any(Number) }) })]);
    expect(error.details.hosts[0]?.metrics?.requests).toBeGreaterThan(0);
    expect(error.details.problems.map((problem) => problem.check).sort()).toEqual(['backup', 'certificate']);
    expect(result.stdout + result.stderr).not.toContain(metricsToken);
  }, 120_000);

  let webhookSecret: string;
  let productId: number;

  it('When staff subscribe a webhook to order.placed through nginx, then it is created with its signing secret (before the next deploy)', async () => {
    const staff = await registerCustomer();
    expectExit(await runNexus(['users', 'promote', staff.email, '--database-url', localDatabaseUrl, '--json']), 0);
    const created = await throughNginxAs('POST', '/api/v1/admin/webhooks', staff.access, { url: receiverUrl, events: ['order.placed'] });
    expect([created.status, created.body]).toEqual([201, expect.stringContaining('"secret":"whsec_')]);
    webhookSecret = (JSON.parse(created.body) as { secret: string }).secret;
    // Something to order.
    const category = await throughNginxAs('POST', '/api/v1/categories/', staff.access, { name: 'E2E tea' });
    expect(category.status).toBe(201);
    const product = await throughNginxAs('POST', '/api/v1/products/', staff.access, { title: 'E2E sencha', price: '9.50', stock_quantity: 100, category: (JSON.parse(category.body) as { id: number }).id });
    expect(product.status).toBe(201);
    productId = (JSON.parse(product.body) as { id: number }).id;
  }, 120_000);

  it('When a second deploy switches colours under steady traffic, then no request fails and the old colour is stopped, its worker gracefully', async () => {
    const since = Math.floor(Date.now() / 1000);
    const result = await expectHealthyLoad(() => deploy(['deploy']));
    expectExit(result, 0);
    second = result.json<DeployJson>();
    expect(second.hosts[0]).toMatchObject({ status: 'deployed', colour: 'green', port: appPort + 1, migrations: [] });
    expect(second.hosts[0]?.backup).toBeUndefined();
    expect(colourContainers('green')).not.toBe('');
    expect(colourContainers('blue')).toBe('');
    expect(readFileSync(join(nginx.dir, 'site.conf'), 'utf8')).toContain(`server 127.0.0.1:${appPort + 1} `);
    expect(runningWorkers()).toEqual([expect.stringMatching(/^shop-green Up .*\(healthy\)$/)]);
    // Blue's worker exited by itself on SIGTERM (exit 0, deliveries finished), not killed at the end of its grace period.
    const died = dockerd.docker(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'type=container', '--filter', 'event=die', '--filter', 'label=com.docker.compose.project=shop-blue', '--filter', 'label=com.docker.compose.service=worker', '--format', '{{.Actor.Attributes.exitCode}}']);
    expect(died.split('\n').filter(Boolean)).toEqual(['0']);
  }, 600_000);

  it('When an order is placed through nginx after the deploy, then the serving colour\'s worker delivers order.placed, signed, to the webhook subscribed before it', async () => {
    // The API counts one live worker: green's; blue's removed its heartbeat as it stopped.
    const health = await throughNginx('/health/');
    expect((JSON.parse(health.body) as { checks: { events: object } }).checks.events).toMatchObject({ status: 'healthy', workers: 1 });
    const customer = await registerCustomer();
    const placed = await throughNginxAs('POST', '/api/v1/orders/', customer.access, { items: [{ product_id: productId, quantity: 1 }] });
    expect(placed.status).toBe(201);
    const orderId = (JSON.parse(placed.body) as { id: number }).id;
    const forOrder = () => deliveries.filter((delivery) => delivery.headers['x-nexus-event-type'] === 'order.placed' && (JSON.parse(delivery.raw) as { data: { object: { id: number } } }).data.object.id === orderId);
    const deadline = Date.now() + 60_000;
    while (forOrder().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const [delivery] = forOrder();
    expect(delivery).toBeDefined();
    expect(forOrder()).toHaveLength(1);
    expect(delivery?.path).toBe('/hooks/nexus');
    const event = JSON.parse(delivery?.raw as string) as { id: string; type: string; data: { object: { id: number; status: string } } };
    expect(event).toMatchObject({ type: 'order.placed', data: { object: { id: orderId, status: 'pending' } } });
    expect(delivery?.headers['x-nexus-event-id']).toBe(event.id);
    // X-Nexus-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> with the subscription's secret.
    const signature = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(delivery?.headers['x-nexus-signature']));
    expect(signature).not.toBeNull();
    const [, t, v1] = signature as unknown as [string, string, string];
    expect(v1).toBe(createHmac('sha256', webhookSecret).update(`${t}.${delivery?.raw as string}`).digest('hex'));
    expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(300);
    // The serving colour's worker logged the delivery: `nexus logs worker` reads it.
    const logs = await deploy(['logs', 'worker', '--lines', '500', '--grep', event.id]);
    expectExit(logs, 0);
    expect(logs.json<{ lines: string[] }>().lines.join('\n')).toMatch(/webhook delivery succeeded/);
  }, 120_000);

  it('When the new release never becomes ready, then the deploy exits 11 with its last log lines and the previous release keeps serving', async () => {
    const result = await expectHealthyLoad(() => deploy(['deploy'], { REDIS_URL: 'redis://127.0.0.1:1/0' }));
    expectExit(result, 11);
    const error = result.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe('HEALTH_CHECK_FAILED');
    expect(error.message).toContain('the previous release is still serving');
    expect(error.message).toContain('"cache":"unhealthy"');
    expect(error.message).toMatch(/Last log lines:\n.+/);
    expect(colourContainers('blue')).toBe('');
    expect(colourContainers('green')).not.toBe('');
    expect(workerProjects()).toEqual(['shop-green']);
    const serving = JSON.parse(readFileSync(join(sshd.remoteRoot, 'srv', 'serving.json'), 'utf8')) as { release: string };
    expect(serving.release).toBe(second.release.id);
    expect((await throughNginx('/health/readiness/')).status).toBe(200);
  }, 600_000);

  it('When another operator holds the deploy lock, then deploy exits 10 and changes nothing', async () => {
    const held = await deploy(['lock', 'acquire', '--reason', 'maintenance']);
    expectExit(held, 0);
    const result = await deploy(['deploy']);
    expectExit(result, 10);
    expect(result.json<{ error: { code: string } }>().error.code).toBe('LOCK_HELD');
    expect((await deploy(['lock', 'release'])).code).toBe(0);
    const serving = JSON.parse(readFileSync(join(sshd.remoteRoot, 'srv', 'serving.json'), 'utf8')) as { release: string };
    expect(serving.release).toBe(second.release.id);
  }, 120_000);

  it('When rolled back under steady traffic, then the previous release serves again without a failed request', async () => {
    const result = await expectHealthyLoad(() => deploy(['deploy', 'rollback']));
    expectExit(result, 0);
    const report = result.json<DeployJson>();
    expect(report.release.id).toBe(first.release.id);
    expect(report.hosts[0]).toMatchObject({ status: 'deployed', colour: 'blue' });
    expect(colourContainers('green')).toBe('');
    // The old colour's worker came back with it; exactly one colour's worker runs.
    expect(runningWorkers()).toEqual([expect.stringMatching(/^shop-blue Up .*\(healthy\)$/)]);
    const releases = await deploy(['deploy', 'releases']);
    expect(releases.json<{ hosts: { current: string }[] }>().hosts[0]?.current).toBe(first.release.id);
  }, 600_000);

  it('When deployed again after the rollback, then the new release serves and old releases are pruned to keep_releases', async () => {
    const result = await expectHealthyLoad(() => deploy(['deploy']));
    expectExit(result, 0);
    const report = result.json<DeployJson>();
    expect(report.hosts[0]).toMatchObject({ status: 'deployed', colour: 'green' });
    const releases = (await deploy(['deploy', 'releases'])).json<{ hosts: { current: string; releases: { id: string }[] }[] }>().hosts[0];
    expect(releases?.current).toBe(report.release.id);
    expect(releases?.releases.length).toBe(3);
    expect(existsSync(join(sshd.remoteRoot, 'srv', 'releases', first.release.id))).toBe(true);
    expect((await throughNginx('/health/readiness/')).status).toBe(200);
    expect(workerProjects()).toEqual(['shop-green']);
  }, 600_000);

  it('When the app logs are read, then they come from the serving release through either Compose flavour', async () => {
    const result = await deploy(['logs', 'app', '--lines', '50']);
    expectExit(result, 0);
    const lines = result.json<{ lines: string[] }>().lines;
    // The app's own request log lines (the load generator's requests), from the serving release's containers.
    expect(lines.join('\n')).toContain('"msg":"request completed"');
    expect(JSON.parse(readFileSync(join(sshd.remoteRoot, 'srv', 'serving.json'), 'utf8'))).toMatchObject({ colour: 'green' });
  }, 60_000);

  it('When two deploys start at once, then exactly one runs and the other exits 10 naming the holder; the first release goes, with its pre-migration backup', async () => {
    const [a, b] = await expectHealthyLoad(() => Promise.all([deploy(['deploy', '--image', first.release.image]), deploy(['deploy', '--image', first.release.image])]));
    expect([a.code, b.code].sort()).toEqual([0, 10]);
    const [winner, loser] = a.code === 10 ? [b, a] : [a, b];
    expect(loser.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'LOCK_HELD', message: expect.stringContaining('e2e@test') });
    // Releases first, failed, rolled-forward and this one: keep_releases 3 deletes the oldest that is not the replaced one.
    const firstBackup = first.hosts[0]?.backup;
    expect(winner.json<DeployJson>().hosts[0]).toMatchObject({ pruned: [first.release.id], prunedBackups: [firstBackup?.id] });
    expect(existsSync(firstBackup?.file as string)).toBe(false);
    expect(existsSync((firstBackup?.file as string).replace(/\.dump$/, '.json'))).toBe(false);
    expect(colourContainers('blue')).not.toBe('');
    expect(colourContainers('green')).toBe('');
    expect(workerProjects()).toEqual(['shop-blue']);
  }, 300_000);

  it('When the renewal timer is installed, then the job on the host renews a due certificate with nexus from the serving image, and nginx serves it', async () => {
    // Due 67–75 s after issue (half the lifetime, less up to a tenth of that as jitter): long enough that the
    // timer's first run, nexus started in Docker on a slow shared host (20 s at worst seen), still finds it not
    // due, and short enough not to hold the suite (CI time).
    const pebble = await startPebble({ httpPort, validitySeconds: 150 });
    closers.push(() => pebble.stop());
    const root = join(sshd.remoteRoot, 'srv');
    // nginx's workers (nobody) read the ACME webroot on the "host".
    for (const dir of [dirname(sshd.remoteRoot), sshd.remoteRoot, root]) chmodSync(dir, 0o755);
    mkdirSync(join(root, 'acme', '.well-known', 'acme-challenge'), { recursive: true, mode: 0o755 });
    // Added to the overlay the setup wrote (its ports and daemon stay).
    const overlay = parse(readFileSync(join(project, 'nexus.production.yml'), 'utf8')) as { targets: { production: Record<string, unknown> } };
    Object.assign(overlay.targets.production, { ssh: { authorized_keys: sshd.authorizedKeys }, tls: { ca: pebble.directoryUrl, caa_identity: 'pebble.letsencrypt.org', renew_fraction: 0.5 } });
    writeOverlay(project, overlay);
    const ssl = (args: string[]) => deploy(['ssl', ...args], { NODE_EXTRA_CA_CERTS: pebble.caFile, NEXUS_ACME_POLL_MS: '200' });
    const issued = await ssl(['issue', '--skip-dns-check']);
    expectExit(issued, 0);
    const before = issued.json<{ certificate: { serial: string } }>().certificate;

    const installed = await ssl(['install-timer', '--scheduler', 'none']);
    expectExit(installed, 0);
    const report = installed.json<{ job: string; schedule: null; changed: string[]; firstRun: { code: number; output: string } }>();
    expect(report).toMatchObject({ job: `sh ${root}/jobs/ssl-renew/run.sh`, schedule: null, firstRun: { code: 0, output: expect.stringContaining('not due') } });
    expect(report.changed).toEqual([`created the job key ${root}/jobs/ssl-renew/id_ed25519`, `authorised the job key in ${sshd.authorizedKeys}`]);
    // The key runs nothing but the job's calls, through its gate, from loopback (the job's container is on the host's network).
    expect(readFileSync(sshd.authorizedKeys, 'utf8')).toMatch(new RegExp(`^restrict,command="sh ${root}/jobs/ssl-renew/gate\\.sh",from="127\\.0\\.0\\.1,::1" ssh-ed25519 \\S+ nexus-job-ssl-renew-shop@production$`, 'm'));
    for (const file of ['id_ed25519', 'nexus.yml', 'secrets', 'run.sh', 'gate.sh', 'allowed-calls']) expect(statSync(join(root, 'jobs', 'ssl-renew', file)).mode & 0o777).toBe(0o600);
    const again = await ssl(['install-timer', '--scheduler', 'none', '--no-check']);
    expect(again.json<{ changed: string[] }>().changed).toEqual([]);

    // Run as cron would: a bare environment, output appended to the job's log.
    let status: { due: boolean; renewAt: string };
    do {
      status = (await ssl(['status'])).json<{ certificate: { due: boolean; renewAt: string } }>().certificate;
      if (!status.due) await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(status.renewAt) - Date.now()) + 200));
    } while (!status.due);
    execFileSync('env', ['-i', 'PATH=/usr/bin:/bin', `HOME=${sshd.remoteRoot}`, 'sh', '-c', `${report.job} >> ${root}/jobs/ssl-renew/job.log 2>&1`], { timeout: 120_000 });
    const log = readFileSync(join(root, 'jobs', 'ssl-renew', 'job.log'), 'utf8');
    expect(log).toMatch(/shop\.example\.com: renewed, valid until/);
    const after = (await ssl(['status'])).json<{ certificate: { serial: string; due: boolean }; timer: { installed: boolean; lastRun: { exit: number; image: string } } }>();
    expect(after.certificate.serial).not.toBe(before.serial);
    expect(after.certificate.due).toBe(false);
    expect(after.timer).toMatchObject({ installed: true, lastRun: { exit: 0, image: first.release.image } });
    expect(await servedSerial(httpsPort, DOMAIN, after.certificate.serial)).toBe(after.certificate.serial);

    const removed = await ssl(['install-timer', '--remove']);
    expectExit(removed, 0);
    expect(readFileSync(sshd.authorizedKeys, 'utf8')).not.toContain('nexus-job-ssl-renew');
    expect(existsSync(join(root, 'jobs', 'ssl-renew'))).toBe(false);
  }, 480_000);

  it('When the backup job is installed, then the host backs up and verifies the database with nexus from the serving image', async () => {
    const root = join(sshd.remoteRoot, 'srv');
    const installed = await deploy(['db', 'backup', '--schedule', '--scheduler', 'none']);
    expectExit(installed, 0);
    const { job } = installed.json<{ job: string }>();
    expect(job).toBe(`sh ${root}/jobs/db-backup/run.sh`);
    // Run as cron would: a bare environment, output appended to the job's log. Asynchronously: the database
    // is reached through this process's port forwarder, which a synchronous wait would block.
    await promisify(execFile)('env', ['-i', 'PATH=/usr/bin:/bin', `HOME=${sshd.remoteRoot}`, 'sh', '-c', `${job} >> ${root}/jobs/db-backup/job.log 2>&1`], { timeout: 180_000 });
    const log = readFileSync(join(root, 'jobs', 'db-backup', 'job.log'), 'utf8');
    expect(log).toMatch(/-scheduled: verified/);
    const listed = await deploy(['db', 'backup', 'list']);
    expectExit(listed, 0);
    const backups = listed.json<{ backups: { kind: string; release: string | null; signatureStatus: string; tables: Record<string, { rows: number }> }[] }>().backups;
    const serving = JSON.parse(readFileSync(join(root, 'serving.json'), 'utf8')) as { release: string };
    expect(backups.map((backup) => backup.kind)).toEqual(['scheduled']);
    // Signed on the host with the key from the job's own secrets file.
    expect(backups[0]).toMatchObject({ release: serving.release, signatureStatus: 'valid', tables: { 'public.knex_migrations': { rows: expect.any(Number) } } });
    const removed = await deploy(['db', 'backup', '--unschedule']);
    expectExit(removed, 0);
    expect(existsSync(join(root, 'jobs', 'db-backup'))).toBe(false);
  }, 300_000);

  /** What "nothing changed" means on the host: the release directories and the serving release. */
  const hostState = () => ({ releases: readdirSync(join(sshd.remoteRoot, 'srv', 'releases')).sort(), serving: readFileSync(join(sshd.remoteRoot, 'srv', 'serving.json'), 'utf8') });
  /** Runs `work` with `overlay` merged (as the loader merges) into the target's part of nexus.production.yml, restored after. */
  const withOverlay = async <T>(overlay: object, work: () => Promise<T>): Promise<T> => {
    const file = join(project, 'nexus.production.yml');
    const before = readFileSync(file, 'utf8');
    writeOverlay(project, merge(parse(before), { targets: { production: overlay } }) as object);
    try {
      return await work();
    } finally {
      writeFileSync(file, before);
    }
  };
  type ErrorJson = { error: { code: string; message: string; suggestions: string[] } };

  it('When the host cannot reach the npm registry its build needs, then the deploy fails before building (exit 1) naming the fix, and nothing on the host changes', async () => {
    const before = hostState();
    const imagesBefore = dockerd.docker(['images', '-q']);
    // Other build arguments: the host has no image for them, so this deploy would build there.
    const result = await withOverlay({ build: { args: { NPM_REGISTRY: 'http://127.0.0.1:1/' } } }, () => deploy(['deploy']));
    expectExit(result, 1);
    const { error } = result.json<ErrorJson>();
    expect(error).toMatchObject({ code: 'REGISTRY_UNREACHABLE', message: expect.stringContaining('cannot reach the npm registry http://127.0.0.1:1/') });
    expect(error.suggestions.join('\n')).toContain('build.args.NPM_REGISTRY');
    expect(hostState()).toEqual(before);
    expect(dockerd.docker(['images', '-q'])).toBe(imagesBefore);
  }, 120_000);

  it('When the external database answers the host but not the containers (DATABASE_URL on 127.0.0.1), then the deploy fails before any build (exit 4) naming the address and the firewall, and nothing changes', async () => {
    const before = hostState();
    const local = new URL(secrets.DATABASE_URL as string);
    local.hostname = '127.0.0.1';
    local.port = new URL(SYSTEM_POSTGRES).port || '5432';
    const result = await deploy(['deploy'], { DATABASE_URL: local.toString() });
    expectExit(result, 4);
    const { error } = result.json<ErrorJson>();
    expect(error).toMatchObject({ code: 'DATABASE_UNREACHABLE', message: expect.stringContaining(`the database 127.0.0.1:${local.port} (DATABASE_URL) cannot be reached from a container on shop-backend`) });
    expect(error.suggestions.join('\n')).toMatch(/127\.0\.0\.1 in DATABASE_URL is the container itself[\s\S]*ufw allow/);
    expect(hostState()).toEqual(before);
  }, 120_000);

  it('When the same commit is deployed twice with build.on: local, then the second deploy neither builds nor uploads the image, and says so', async () => {
    // A commit of its own (the same tree as the repository's), so that the host has no image for it yet.
    const clone = mkdtempSync(join(tmpdir(), 'nexus-e2e-commit-'));
    closers.push(async () => rmSync(clone, { recursive: true, force: true }));
    execFileSync('git', ['clone', '-q', '--shared', REPOSITORY, clone]);
    execFileSync('git', ['-C', clone, '-c', 'user.name=e2e', '-c', 'user.email=e2e@test', 'commit', '-q', '--allow-empty', '-m', 'e2e: the same tree, a commit of its own']);
    const sha = execFileSync('git', ['-C', clone, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    /** `docker load`s the host's engine ran from `since` (seconds) until now. */
    const loads = (since: number) => dockerd.docker(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'type=image', '--filter', 'event=load', '--format', '{{.ID}}']).split('\n').filter(Boolean).length;
    // The local Docker is the harness's one engine (DOCKER_HOST): the build comes from its cache, the upload and the `docker load` are real.
    const timedDeploy = async () => {
      const since = Math.floor(Date.now() / 1000);
      const started = Date.now();
      const result = await withOverlay({ build: { on: 'local', context: clone } }, () => deploy(['deploy'], { DOCKER_HOST: dockerd.host }));
      const seconds = (Date.now() - started) / 1000;
      expectExit(result, 0);
      return { result, report: result.json<DeployJson & { hosts: { image?: string }[] }>(), seconds, loads: loads(since) };
    };
    const first = await timedDeploy();
    expect(first.report.release.image).toBe(`shop:${sha}`);
    expect(first.report.hosts[0]).toMatchObject({ status: 'deployed', image: 'uploaded' });
    expect(first.loads).toBe(1);
    const again = await timedDeploy();
    process.stderr.write(`[image reuse] the same commit (${sha}, build.on: local) deployed twice: first (built here, uploaded) ${first.seconds.toFixed(1)} s; second (image reused, not uploaded) ${again.seconds.toFixed(1)} s\n`);
    expect(again.report.release.image).toBe(`shop:${sha}`);
    // Deployed: the new release became ready and nginx switched to it (the deploy checks both).
    expect(again.report.hosts[0]).toMatchObject({ status: 'deployed', image: 'reused' });
    expect(again.result.stderr).toContain(`127.0.0.1: image for ${sha} already on the host, not uploaded.`);
    expect(again.loads).toBe(0);
  }, 900_000);

  /**
   * The default deployment (`nexus init` writes `database: host`): PostgreSQL as the `postgres` service of the
   * app's services project, from an image the harness builds from Debian's packages. Same sshd, engine and
   * app image as above; its own app name, root, network and nginx.
   */
  describe('with the database on the host (the default deployment)', () => {
    const POSTGRES_IMAGE = 'nexus-test-postgres:15';
    const MARKET_DOMAIN = 'market.example.com';
    const MARKER = '29991231000000_e2e-marker';
    let marketProject: string;
    let marketRoot: string;
    let marketHttpPort: number;
    let marketSecrets: Record<string, string>;
    let releaseOne: string;

    const market = (args: string[]): Promise<CliResult> =>
      runNexus([...args, '--target', 'production', '--dir', marketProject, '--json'], { env: { NEXUS_OPERATOR: 'e2e@test' }, timeoutMs: 600_000 });
    const marketGet = (path: string) => getWithHost(`http://127.0.0.1:${marketHttpPort}${path}`, MARKET_DOMAIN);
    const postgresContainer = () => dockerd.docker(['ps', '-q', '--filter', 'label=com.docker.compose.project=market-services', '--filter', 'label=com.docker.compose.service=postgres']).trim();
    /** The service's database, reached from here on the container's address (nothing is published). */
    const serviceUrl = (database = 'nexus') => {
      const address = dockerd.docker(['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', postgresContainer()]).trim();
      return `postgres://nexus:${encodeURIComponent(marketSecrets.POSTGRES_PASSWORD as string)}@${address}:5432/${database}`;
    };
    /** Every table's digest but the workers' heartbeats: liveness the running worker rewrites every 5 s, not data. */
    const dataDigests = async () => {
      const { 'public.worker_heartbeats': _heartbeats, ...data } = await tableDigests(serviceUrl());
      return data;
    };
    const databases = async () => (await adminQuery((client) => client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'nexus%' ORDER BY 1"), serviceUrl('postgres'))).rows.map((row) => row.datname);

    beforeAll(async () => {
      // Air-gapped: made on the workstation, loaded over SSH, named by services.postgres_image (docs/deploy.md §11).
      importPostgresImage(workstation, POSTGRES_IMAGE);
      await loadOverSsh(workstation, POSTGRES_IMAGE, sshd, dockerd.host);
      let subnet: string;
      do subnet = `10.${randomInt(200, 250)}.${randomInt(0, 255)}`;
      while (subnet === shopSubnet);
      dockerd.docker(['network', 'create', '--subnet', `${subnet}.0/24`, '--gateway', `${subnet}.1`, 'market-backend']);
      const redisPort = await freePort();
      const redis = await forwardPort(`${subnet}.1`, redisPort, Number(new URL(process.env.NEXUS_TEST_REDIS_URL as string).port || 6379));
      closers.push(() => redis.close());

      const port = await freePortPair();
      const marketHttpsPort = await freePort();
      marketHttpPort = await freePort();
      const marketNginx = new NginxPrefix();
      closers.push(() => marketNginx.stop());
      const site = { app: 'market', target: 'production', domains: [MARKET_DOMAIN], upstreamPort: port, webroot: marketNginx.webroot, nginxDir: marketNginx.dir, httpPort: marketHttpPort, httpsPort: marketHttpsPort, bodyLimit: '6m', ipv6: false };
      await marketNginx.start(renderNginxSite(site), marketHttpPort);

      marketRoot = join(sshd.remoteRoot, 'market');
      // The quick start with init's defaults (database: host); Redis stays the machine's (no Redis image here).
      marketProject = initProject([...sshdInitFlags(sshd, marketRoot, { name: 'market', domain: MARKET_DOMAIN }), '--redis', 'external'], 'nexus-e2e-market-');
      closers.push(async () => rmSync(marketProject, { recursive: true, force: true }));
      fillSecret(marketProject, 'REDIS_URL', `redis://${subnet}.1:${redisPort}/0`);
      marketSecrets = projectSecrets(marketProject);
      writeOverlay(marketProject, {
        app: { port, env: { REDIS_KEY_PREFIX: `e2e-market-${randomBytes(4).toString('hex')}:`, LOG_LEVEL: 'info' } },
        targets: {
          production: {
            ssh: { authorized_keys: sshd.authorizedKeys },
            services: { postgres_image: POSTGRES_IMAGE },
            keep_releases: 3,
            health: { timeout: 30 },
            drain_seconds: 1,
            docker_host: dockerd.host,
            nginx: marketNginx.targetSettings(marketHttpPort, marketHttpsPort),
          },
        },
      });
    }, 600_000);

    it('When deployed, then PostgreSQL runs from the services image and the pre-migration backup is a signed backup of its database', async () => {
      const result = await market(['deploy', '--image', first.release.image]);
      expectExit(result, 0);
      const report = result.json<DeployJson>();
      releaseOne = report.release.id;
      const backup = report.hosts[0]?.backup;
      expect(backup?.id).toMatch(new RegExp(`-pre-migration-${releaseOne}$`));
      expect(statSync(backup?.file as string).mode & 0o777).toBe(0o600);
      const manifest = JSON.parse(readFileSync((backup?.file as string).replace(/\.dump$/, '.json'), 'utf8')) as object;
      expect(manifest).toMatchObject({ kind: 'pre-migration', before: releaseOne, database: 'nexus', serverVersion: expect.stringMatching(/^15\./), migration: { count: 0 }, signature: { keyId: expect.stringMatching(/^[0-9a-f]{16}$/) } });
      expect(dockerd.docker(['inspect', '--format', '{{.Config.Image}}', postgresContainer()]).trim()).toBe(POSTGRES_IMAGE);
      expect(readFileSync(join(marketRoot, 'services', 'compose.env'), 'utf8')).toMatch(new RegExp(`^POSTGRES_IMAGE='?${POSTGRES_IMAGE}'?$`, 'm'));
      expect((await marketGet('/health/readiness/')).status).toBe(200);
    }, 600_000);

    it('When backed up, damaged and restored, then every table is as it was when backed up, the damaged database is kept, and the API serves the restored data', async () => {
      await adminQuery(async (client) => {
        await client.query("INSERT INTO categories (name, slug) VALUES ('Tea', 'tea'), ('Coffee', 'coffee')");
        await client.query("INSERT INTO products (title, slug, price, stock_quantity, category_id) SELECT 'Product ' || n, 'product-' || n, n * 1.5, n, (SELECT id FROM categories WHERE slug = 'tea') FROM generate_series(1, 40) n");
      }, serviceUrl());
      const before = await dataDigests();
      const taken = await market(['db', 'backup', '--verify']);
      expectExit(taken, 0);
      const { backup, verified } = taken.json<{ backup: { id: string; dump: { file: string }; tables: Record<string, { rows: number }> }; verified: { signature: string } }>();
      expect(verified.signature).toBe('valid');
      expect(backup.tables['public.products']?.rows).toBe(40);
      expect(statSync(join(marketRoot, 'backups', backup.dump.file)).mode & 0o777).toBe(0o600);

      await adminQuery(async (client) => {
        await client.query('DELETE FROM products');
        await client.query("UPDATE categories SET name = name || ' (defaced)'");
      }, serviceUrl());
      expect(await dataDigests()).not.toEqual(before);
      // A deployed database records production: --confirm <target> is required.
      expectExit(await market(['db', 'restore', backup.id, '--yes']), 5);
      const restored = await market(['db', 'restore', backup.id, '--confirm', 'production']);
      expectExit(restored, 0);
      const { previous } = restored.json<{ restored: { previous: string } }>().restored;
      expect(await dataDigests()).toEqual(before);
      expect(await databases()).toEqual(['nexus', previous]);
      expect((await adminQuery((client) => client.query('SELECT count(*)::int AS n FROM products'), serviceUrl(previous))).rows[0]).toEqual({ n: 0 });
      const products = await marketGet('/api/v1/products/');
      expect(products.status).toBe(200);
      expect((JSON.parse(products.body) as { count: number }).count).toBe(40);
      expectExit(await market(['db', 'backup', 'verify', backup.id]), 0);
    }, 300_000);

    it('When the daily job runs, then it backs up and verifies the service database through its gate, with no database secret, and retention keeps the newest of the day', async () => {
      const installed = await market(['db', 'backup', '--schedule', '--scheduler', 'none']);
      expectExit(installed, 0);
      const { job } = installed.json<{ job: string }>();
      const jobDir = join(marketRoot, 'jobs', 'db-backup');
      // The container's socket needs no password: the job holds the signing key only.
      expect(readFileSync(join(jobDir, 'secrets'), 'utf8')).toMatch(/^BACKUP_SIGNING_KEY=\S+\n$/);
      await promisify(execFile)('env', ['-i', 'PATH=/usr/bin:/bin', `HOME=${sshd.remoteRoot}`, 'sh', '-c', `${job} >> ${jobDir}/job.log 2>&1`], { timeout: 180_000 });
      expect(readFileSync(join(jobDir, 'job.log'), 'utf8')).toMatch(/-scheduled: verified/);
      const listed = await market(['db', 'backup', 'list']);
      expectExit(listed, 0);
      const backups = listed.json<{ backups: { kind: string; database: string; signatureStatus: string }[] }>().backups;
      expect(backups.map((backup) => backup.kind)).toEqual(['pre-migration', 'scheduled']);
      expect(backups[1]).toMatchObject({ database: 'nexus', signatureStatus: 'valid' });
      expect((await databases()).filter((name) => name.includes('_verify_'))).toEqual([]);
      expectExit(await market(['db', 'backup', '--unschedule']), 0);
    }, 300_000);

    it('When a release that migrated is rolled back with its data, then the previous release serves the database as it was before that migration', async () => {
      // The next release: the same image with one more migration.
      const context = mkdtempSync(join(tmpdir(), 'nexus-e2e-next-'));
      writeFileSync(join(context, 'Dockerfile'), `FROM ${first.release.image}\nCOPY ${MARKER}.js /app/dist/db/migrations/\n`);
      writeFileSync(join(context, `${MARKER}.js`), "exports.up = (knex) => knex.schema.createTable('e2e_marker', (table) => table.increments('id'));\nexports.down = (knex) => knex.schema.dropTable('e2e_marker');\n");
      dockerd.docker(['build', '-q', '-t', 'market-next:e2e', '-'], { input: execFileSync('tar', ['-C', context, '-c', '.']) });
      rmSync(context, { recursive: true, force: true });
      const beforeMigration = await dataDigests();

      const deployed = await market(['deploy', '--image', 'market-next:e2e']);
      expectExit(deployed, 0);
      const next = deployed.json<DeployJson>();
      expect(next.hosts[0]).toMatchObject({ status: 'deployed', migrations: [MARKER], backup: { id: expect.stringMatching(new RegExp(`-pre-migration-${next.release.id}$`)) } });
      await adminQuery((client) => client.query("INSERT INTO categories (name, slug) VALUES ('Written later', 'later')"), serviceUrl());

      const rolledBack = await market(['deploy', 'rollback', '--with-data', '--confirm', 'production']);
      expectExit(rolledBack, 0);
      const report = rolledBack.json<DeployJson & { data: { id: string; previous: string } }>();
      expect(report.release.id).toBe(releaseOne);
      expect(report.data.id).toBe(next.hosts[0]?.backup?.id);
      // The schema and data of before the migration: no e2e_marker table, no migration row, no later write.
      expect(await dataDigests()).toEqual(beforeMigration);
      expect((await marketGet('/health/readiness/')).status).toBe(200);
      const kept = await adminQuery((client) => client.query<{ n: number }>("SELECT count(*)::int AS n FROM categories WHERE slug = 'later'"), serviceUrl(report.data.previous));
      expect(kept.rows[0]?.n).toBe(1);
    }, 600_000);
  });
});
