import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createLogger } from '../../../api/infra/logger';
import { startWorker, type RunningWorker } from '../../../api/worker';
import { workerCheck } from '../../../cli/services/health-prober';
import { renderNginxSite } from '../../../cli/remote/nginx-site';
import { startTestApi, type TestApi } from '../../support/api';
import { expectExit, runNexus } from '../../support/cli';
import { describeWith, freePort, waitFor } from '../../support/components';
import { dnsmasqAvailable, startDnsmasq, type RunningDnsmasq } from '../../support/dnsmasq';
import { NginxPrefix, nginxAvailable, selfSignedCertificate } from '../../support/nginx';
import { sshdAvailable, sshdTarget, startSshd, type RunningSshd } from '../../support/sshd';

interface Report {
  url: string;
  healthy: boolean;
  connection?: { scheme: string; schemeReason: string; address?: string; addressReason?: string };
  checks: { name: string; ok: boolean; detail: string }[];
  certificate?: { names: string[]; daysLeft: number; trusted: boolean };
}

/** Each check's name and whether it passed, in the report's order. */
const outcomes = (report: Report) => report.checks.map((check) => [check.name, check.ok]);
/** Every check of an HTTPS site, passed; over plain HTTP only the first four are made. */
const ALL_PASSED = [
  ['health', true],
  ['worker', true],
  ['readiness', true],
  ['security headers', true],
  ['certificate', true],
  ['http redirect', true],
];

/**
 * The delivery worker the site runs beside its API (as a deploy does), on the API's database and Redis: the
 * health answer counts it once its first heartbeat is written.
 */
async function startSiteWorker(api: TestApi): Promise<RunningWorker> {
  const worker = await startWorker(api.config, createLogger({ level: 'silent', name: 'nexus-worker' }));
  await waitFor('the worker\'s first heartbeat', async () => Number((await api.db('worker_heartbeats').count<{ n: string }[]>('* as n'))[0]?.n) > 0);
  return worker;
}

describe('the worker check, from the API\'s health answer', () => {
  const body = (events?: object) => JSON.stringify({ status: 'healthy', checks: { database: { status: 'healthy' }, ...(events ? { events } : {}) } });
  it('When workers are alive and the outbox keeps up, then it passes saying how many', () => {
    expect(workerCheck(body({ status: 'healthy', workers: 2, unrelayed: 1, outbox_lag_seconds: 0.4 }))).toEqual({ name: 'worker', ok: true, detail: '2 workers alive, 1 event waiting, the oldest for 0.4 s' });
  });
  it('When the relay is behind although a worker is alive, then it fails saying so', () => {
    expect(workerCheck(body({ status: 'unhealthy', workers: 1, unrelayed: 40, outbox_lag_seconds: 300 }))).toEqual({
      name: 'worker',
      ok: false,
      detail: '1 worker alive but the outbox relay is behind; 40 events waiting, the oldest for 300 s (`nexus logs worker` shows why)',
    });
  });
  it('When the API does not report the worker (a release from before it), then the check is skipped, not failed; an answer that is not the API\'s gives none', () => {
    expect(workerCheck(body())).toMatchObject({ name: 'worker', ok: true, skipped: true });
    expect(workerCheck('{"detail":"Service temporarily unavailable.","code":"service_unavailable"}')).toBeUndefined();
    expect(workerCheck('<html>502</html>')).toBeUndefined();
  });
});

describeWith('nginx', nginxAvailable, 'nexus health against the API behind a real nginx with TLS', () => {
  const prefix = new NginxPrefix();
  let api: TestApi;
  let worker: RunningWorker;
  let server: Server;
  let httpPort: number;
  let httpsPort: number;
  let ca: string;
  const env = { NODE_OPTIONS: '--dns-result-order=ipv4first' };

  beforeAll(async () => {
    api = await startTestApi();
    worker = await startSiteWorker(api);
    server = createServer(api.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    const certificate = selfSignedCertificate(prefix.dir, ['localhost']);
    ca = certificate.fullchain;
    const site = renderNginxSite({
      app: 'shop',
      target: 'test',
      domains: ['localhost'],
      upstreamPort: (server.address() as AddressInfo).port,
      httpPort,
      httpsPort,
      webroot: prefix.webroot,
      nginxDir: prefix.dir,
      certificate,
      bodyLimit: '6m',
      ipv6: false,
    });
    await prefix.start(site, httpPort);
  });
  afterAll(async () => {
    await prefix.stop();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
    await worker.stop();
    await api.close();
  });

  const health = (...extra: string[]) => runNexus(['health', '--url', `https://localhost:${httpsPort}/`, '--http-port', String(httpPort), '--json', ...extra], { env });

  it('When everything is in order, then every check passes and the exit code is 0', async () => {
    const result = await health('--ca', ca, '--min-days', '0');
    expect(result.code).toBe(0);
    const report = result.json<Report>();
    expect(outcomes(report)).toEqual(ALL_PASSED);
    expect(report.certificate).toMatchObject({ names: ['localhost'], daysLeft: 1, trusted: true });
  });

  it('When the certificate expires within --min-days, then exit 11 says how many days are left', async () => {
    const result = await health('--ca', ca);
    expect(result.code).toBe(11);
    const error = result.json<{ error: { code: string; message: string; details: Report } }>().error;
    expect(error.code).toBe('UNHEALTHY');
    expect(error.message).toContain('certificate (1 days left (< 14))');
    expect(error.details.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual(['certificate']);
  });

  it('When the certificate is not from a trusted CA, then the checks fail and say why', async () => {
    const result = await health('--min-days', '0');
    expect(result.code).toBe(11);
    const report = result.json<{ error: { details: Report } }>().error.details;
    expect(report.checks.find((check) => check.name === 'certificate')).toMatchObject({ ok: false, detail: 'not trusted' });
    expect(report.checks.find((check) => check.name === 'health')?.detail).toMatch(/self-signed certificate/);
  });

  it('When no delivery worker is alive, then the worker check fails saying so and what waits, and the others pass', async () => {
    // A graceful stop removes the worker's heartbeat: the API counts no worker at once.
    await worker.stop();
    const result = await health('--ca', ca, '--min-days', '0');
    expect(result.code).toBe(11);
    const error = result.json<{ error: { message: string; details: Report } }>().error;
    expect(error.details.checks.filter((check) => !check.ok)).toEqual([
      { name: 'worker', ok: false, detail: expect.stringMatching(/^no delivery worker seen in the last 30 s: webhooks and order mail wait in the outbox until one runs; \d+ events? waiting/) },
    ]);
    expect(error.message).toContain('worker (no delivery worker seen in the last 30 s');
  });

  it('When the app is down, then nginx answers 503 and health exits 11', async () => {
    await new Promise((resolve) => server.close(resolve));
    const result = await health('--ca', ca, '--min-days', '0');
    expect(result.code).toBe(11);
    const failed = result.json<{ error: { details: Report } }>().error.details.checks.filter((check) => !check.ok).map((check) => [check.name, check.detail]);
    expect(failed).toEqual([
      ['health', '503 {"detail":"Service temporarily unavailable.","code":"service_unavailable"}'],
      ['readiness', '503 {"detail":"Service temporarily unavailable.","code":"service_unavailable"}'],
    ]);
  });

  it('When both or neither of --url and --target are given, then it is a usage error', async () => {
    expect((await runNexus(['health'])).code).toBe(2);
    expect((await runNexus(['health', '--url', 'https://x.test', '--target', 'production'])).code).toBe(2);
  });
});

describeWith('nginx, sshd and dnsmasq', nginxAvailable && sshdAvailable && dnsmasqAvailable, 'nexus health --target: the scheme its host serves, its resolvers, --address', () => {
  const DOMAIN = 'shop.nexus.test';
  const prefix = new NginxPrefix();
  let api: TestApi;
  let worker: RunningWorker;
  let server: Server;
  let sshd: RunningSshd;
  let dnsWithRecord: RunningDnsmasq;
  let dnsWithout: RunningDnsmasq;
  let project: string;
  let root: string;
  let httpPort: number;
  let httpsPort: number;
  let upstreamPort: number;
  let ca: string;

  /** The host's site as a deploy renders it, behind a default server that answers 421 to any other name (and SNI). */
  const site = (certificate?: { fullchain: string; key: string }) => {
    const rendered = renderNginxSite({ app: 'shop', target: 'production', domains: [DOMAIN], upstreamPort, httpPort, httpsPort, webroot: prefix.webroot, nginxDir: prefix.dir, certificate, bodyLimit: '6m', ipv6: false });
    const other = selfSignedCertificate(join(prefix.dir, 'other'), ['other.invalid']);
    return `${rendered}
server {
  listen ${httpPort} default_server;
  listen ${httpsPort} ssl default_server;
  server_name _;
  ssl_certificate ${other.fullchain};
  ssl_certificate_key ${other.key};
  return 421;
}
`;
  };
  const health = (target: string, ...extra: string[]) => runNexus(['health', '--target', target, '--dir', project, ...extra]);

  beforeAll(async () => {
    api = await startTestApi();
    worker = await startSiteWorker(api);
    server = createServer(api.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    upstreamPort = (server.address() as AddressInfo).port;
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    mkdirSync(join(prefix.dir, 'other'));
    sshd = await startSshd();
    root = join(sshd.remoteRoot, 'srv');
    dnsWithRecord = await startDnsmasq('nexus.test', [`host-record=${DOMAIN},127.0.0.1`]);
    dnsWithout = await startDnsmasq('nexus.test', []);
    const target = (resolver: RunningDnsmasq, ssh: Record<string, unknown> = {}) => {
      const settings = sshdTarget(sshd, { root, domains: [DOMAIN], nginx: { http_port: httpPort, https_port: httpsPort, ipv6: false }, dns: { resolvers: [resolver.address], system: false } });
      return { ...settings, ssh: { ...(settings.ssh as object), ...ssh } };
    };
    project = mkdtempSync(join(tmpdir(), 'nexus-health-project-'));
    writeFileSync(
      join(project, 'nexus.yml'),
      stringify({
        app: { name: 'shop' },
        targets: {
          // DNS points at the host (as the target's own resolvers see it; the system resolver knows nothing of it).
          production: target(dnsWithRecord),
          // A new site: no record anywhere yet.
          fresh: target(dnsWithout),
          // Its SSH port is closed: nexus cannot ask the host about its certificate.
          cut: target(dnsWithRecord, { port: await freePort(), connect_timeout: 3 }),
          // Two app hosts no one can SSH to, behind the nginx load balancer on this machine (the test sshd).
          balanced: {
            ...target(dnsWithRecord),
            hosts: ['127.0.0.2', '127.0.0.3'].map((address) => ({ address, host_key: sshd.hostKey })),
            database: 'external',
            redis: 'external',
            env: { MEDIA_STORAGE: 's3' },
            load_balancer: { type: 'nginx', host: { address: '127.0.0.1', host_key: sshd.hostKey } },
          },
        },
      }),
    );
    await prefix.start(site(), httpPort);
  });
  afterAll(async () => {
    await prefix.stop();
    await Promise.all([sshd?.stop(), dnsWithRecord?.stop(), dnsWithout?.stop()]);
    if (server?.listening) await new Promise((resolve) => server.close(resolve));
    await worker?.stop();
    await api?.close();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('When the host has no certificate yet, then it checks over plain HTTP at the address the target resolvers give, and says why', async () => {
    const result = await health('production', '--json');
    expectExit(result, 0);
    const report = result.json<Report>();
    expect(report.url).toBe(`http://${DOMAIN}:${httpPort}/`);
    expect(report.connection).toEqual({
      scheme: 'http',
      schemeReason: `no certificate on 127.0.0.1 yet (${root}/certs/${DOMAIN}): the site serves plain HTTP until \`nexus ssl issue\``,
      address: '127.0.0.1',
      addressReason: `resolver ${dnsWithRecord.address}`,
    });
    expect(outcomes(report)).toEqual(ALL_PASSED.slice(0, 4));

    const human = await health('production');
    expectExit(human, 0);
    expect(human.stdout).toContain(`over HTTP: no certificate on 127.0.0.1 yet`);
    expect(human.stdout).toContain(`at 127.0.0.1 (from resolver ${dnsWithRecord.address})`);
  });

  it("When an nginx load balancer is in front, then the balancer's host is asked about the certificate (it holds it), not an app host", async () => {
    const result = await health('balanced', '--json');
    expectExit(result, 0);
    expect(result.json<Report>().connection).toMatchObject({ scheme: 'http', schemeReason: `no certificate on 127.0.0.1 yet (${root}/certs/${DOMAIN}): the site serves plain HTTP until \`nexus ssl issue\`` });
  });

  it('When the name resolves nowhere yet, then every resolver asked is named with exit 11, and --address checks the host directly with the right Host header', async () => {
    // The system resolver does not know the name: what `health --target` used to rely on alone.
    expectExit(await runNexus(['health', '--url', `http://${DOMAIN}:${httpPort}/`, '--json']), 11);
    const unresolved = await health('fresh', '--json');
    expectExit(unresolved, 11);
    const error = unresolved.json<{ error: { message: string; suggestions: string[]; details: Report } }>().error;
    expect(error.details.checks).toEqual([{ name: 'dns', ok: false, detail: `${DOMAIN} does not resolve: ${dnsWithout.address}: no A/AAAA record` }]);
    expect(error.suggestions.join(' ')).toContain('nexus health --target fresh --address <host IP>');

    const direct = await health('fresh', '--address', '127.0.0.1', '--json');
    expectExit(direct, 0);
    expect(direct.json<Report>().connection).toMatchObject({ scheme: 'http', address: '127.0.0.1', addressReason: '--address' });
    // The same address without the site's name reaches nginx's default server, which answers 421.
    const nameless = await runNexus(['health', '--url', `http://127.0.0.1:${httpPort}/`, '--json']);
    expectExit(nameless, 11);
    expect(nameless.json<{ error: { details: Report } }>().error.details.checks.find((check) => check.name === 'health')?.detail).toMatch(/^421 /);
  });

  it('When the certificate is on the host, then it checks over HTTPS with SNI for the site name, at the given address too', async () => {
    const certificate = selfSignedCertificate((mkdirSync(join(root, 'certs', DOMAIN), { recursive: true }), join(root, 'certs', DOMAIN)), [DOMAIN]);
    ca = certificate.fullchain;
    prefix.reload(site(certificate));
    const expectHttps = (report: Report, address: string, addressReason: string) => {
      expect(report.url).toBe(`https://${DOMAIN}:${httpsPort}/`);
      expect(report.connection).toEqual({ scheme: 'https', schemeReason: `the certificate is on 127.0.0.1 (${root}/certs/${DOMAIN})`, address, addressReason });
      expect(outcomes(report)).toEqual(ALL_PASSED);
    };
    const resolved = await health('production', '--ca', ca, '--min-days', '0', '--json');
    expectExit(resolved, 0);
    expectHttps(resolved.json<Report>(), '127.0.0.1', `resolver ${dnsWithRecord.address}`);
    const direct = await health('fresh', '--address', '127.0.0.1', '--ca', ca, '--min-days', '0', '--json');
    expectExit(direct, 0);
    expectHttps(direct.json<Report>(), '127.0.0.1', '--address');
  });

  it('When the host cannot be asked over SSH, then HTTPS is assumed and the report says so', async () => {
    const result = await health('cut', '--ca', ca, '--min-days', '0', '--json');
    expectExit(result, 0);
    const report = result.json<Report>();
    expect(report.url).toBe(`https://${DOMAIN}:${httpsPort}/`);
    expect(report.connection?.schemeReason).toMatch(/^could not ask 127\.0\.0\.1 whether it has a certificate \(.+\); assuming HTTPS$/);
  });

  it('When --address is not an IP address, then it is a usage error', async () => {
    const result = await health('production', '--address', 'shop.nexus.test', '--json');
    expectExit(result, 2);
    expect(result.json<{ error: { message: string } }>().error.message).toContain('expected an IPv4 or IPv6 address');
  });
});
