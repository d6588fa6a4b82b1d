import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderNginxSite } from '../../../cli/remote/nginx-site';
import { startTestApi, type TestApi } from '../../support/api';
import { runNexus } from '../../support/cli';
import { describeWith, freePort } from '../../support/components';
import { NginxPrefix, nginxAvailable, selfSignedCertificate } from '../../support/nginx';

interface Report {
  healthy: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  certificate?: { names: string[]; daysLeft: number; trusted: boolean };
}

describeWith('nginx', nginxAvailable, 'nexus health against the API behind a real nginx with TLS', () => {
  const prefix = new NginxPrefix();
  let api: TestApi;
  let server: Server;
  let httpPort: number;
  let httpsPort: number;
  let ca: string;
  const env = { NODE_OPTIONS: '--dns-result-order=ipv4first' };

  beforeAll(async () => {
    api = await startTestApi();
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
    await api.close();
  });

  const health = (...extra: string[]) => runNexus(['health', '--url', `https://localhost:${httpsPort}/`, '--http-port', String(httpPort), '--json', ...extra], { env });

  it('When everything is in order, then every check passes and the exit code is 0', async () => {
    const result = await health('--ca', ca, '--min-days', '0');
    expect(result.code).toBe(0);
    const report = result.json<Report>();
    expect(report.checks.map((check) => [check.name, check.ok])).toEqual([
      ['health', true],
      ['readiness', true],
      ['security headers', true],
      ['certificate', true],
      ['http redirect', true],
    ]);
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
