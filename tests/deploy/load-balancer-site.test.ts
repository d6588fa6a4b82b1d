import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { targetSchema, type TargetConfig } from '../../cli/deploy-config/schema';
import { loadBalancerSite, rotationOf } from '../../cli/remote/lb-site';
import { targetSite } from '../../cli/remote/nginx-site';
import { describeWith, freePort, waitFor } from '../support/components';
import { NginxPrefix, nginxAvailable, selfSignedCertificate } from '../support/nginx';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';
/** Two app hosts on loopback addresses of their own (all of 127/8 is the loopback interface). */
const HOSTS = ['127.0.0.2', '127.0.0.3'];
const BALANCER = { type: 'nginx' as const, host: { address: '127.0.0.1', host_key: PIN }, max_fails: 2, fail_timeout: 10 };

interface Answer {
  status: number;
  body: string;
}

function send(url: string, options: { host?: string; method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer } = {}): Promise<Answer> {
  const parsed = new URL(url);
  const request = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname: parsed.hostname, port: parsed.port, path: parsed.pathname, method: options.method ?? 'GET', headers: { Host: options.host ?? 'shop.test', ...options.headers }, servername: 'shop.test', ca: options.ca, agent: false },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A target whose site files, certificates and nginx snippets live in the prefix. */
function target(prefix: NginxPrefix, root: string, httpPort: number, httpsPort: number, extra: object = {}): TargetConfig {
  return targetSchema.parse({ hosts: HOSTS.map((address) => ({ address, host_key: PIN })), domains: ['shop.test'], root, nginx: { ...prefix.targetSettings(httpPort, httpsPort), site_file: undefined }, ...extra });
}

function privateRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'nexus-lb-root-'));
  // nginx's workers (nobody) read the certificate's directory.
  chmodSync(root, 0o755);
  return root;
}

/** Where the site expects the certificate of shop.test (HostLayout: <root>/certs/<domain>). */
function certificateDir(root: string): string {
  const dir = join(root, 'certs', 'shop.test');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

describeWith('nginx', nginxAvailable, "the nginx load balancer's site", () => {
  it('When rendered with and without a certificate and with a host out of rotation, then nginx -t accepts each, and the rotation reads back from the site', () => {
    const prefix = new NginxPrefix();
    const root = privateRoot();
    try {
      const config = target(prefix, root, 18080, 18443);
      const deploy = { name: 'production', app: { name: 'shop' }, target: config };
      selfSignedCertificate(certificateDir(root), ['shop.test']);
      for (const [out, tls] of [[[], false], [['127.0.0.3'], true], [HOSTS, true]] as const) {
        const site = loadBalancerSite(deploy, BALANCER, out, { tls });
        expect(prefix.test(site)).toBe('');
        expect([...rotationOf(site)]).toEqual(HOSTS.map((address) => [address, out.includes(address as never) ? 'out' : 'in']));
      }
      const site = loadBalancerSite(deploy, BALANCER, ['127.0.0.3'], { tls: true });
      expect(site).toContain('server 127.0.0.2:18080 max_fails=2 fail_timeout=10s;\n  server 127.0.0.3:18080 max_fails=2 fail_timeout=10s down;');
      expect(site).toContain(`ssl_certificate ${root}/certs/shop.test/fullchain.pem;`);
      // An app host's own site upstream is its loopback colour port, never read as a balancer's host.
      expect([...rotationOf(targetSite(deploy, 8000))]).toEqual([]);
      // Behind the balancer an app host serves plain HTTP even with a certificate left from single-host days: no redirect loop.
      const behind = { ...deploy, target: { ...config, load_balancer: BALANCER } };
      expect(targetSite(behind, 8000, { tls: true })).not.toContain('return 301');
    } finally {
      void prefix.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  describe('spreading requests over two app hosts', () => {
    const prefix = new NginxPrefix();
    const root = privateRoot();
    const seen: { host: string; headers: IncomingHttpHeaders }[] = [];
    const backends = new Map<string, Server>();
    let config: TargetConfig;
    let httpsPort: number;
    let ca: Buffer;
    const site = (out: readonly string[]) => loadBalancerSite({ name: 'production', app: { name: 'shop' }, target: config }, BALANCER, out, { tls: true });
    const hits = async (count: number) => {
      seen.length = 0;
      const answers = await Promise.all(Array.from({ length: count }, () => send(`https://127.0.0.1:${httpsPort}/api/v1/products/`, { ca })));
      return { statuses: new Set(answers.map((answer) => answer.status)), hosts: new Set(seen.map((entry) => entry.host)) };
    };

    beforeAll(async () => {
      const appPort = await freePort();
      for (const address of HOSTS) {
        const server = createServer((req, res) => {
          seen.push({ host: address, headers: req.headers });
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ host: address }));
        }).listen(appPort, address);
        await new Promise((resolve) => server.once('listening', resolve));
        backends.set(address, server);
      }
      httpsPort = await freePort();
      config = target(prefix, root, appPort, httpsPort);
      const certificate = selfSignedCertificate(certificateDir(root), ['shop.test']);
      ca = readFileSync(certificate.fullchain);
      // The balancer listens on its own HTTP port; its upstream is the app hosts' HTTP port.
      await prefix.start(site([]).replace(new RegExp(`listen ${appPort};`, 'g'), `listen 127.0.0.1:${appPort};`), appPort);
    });

    afterAll(async () => {
      await prefix.stop();
      await Promise.all([...backends.values()].map((server) => new Promise((resolve) => server.close(resolve))));
      rmSync(root, { recursive: true, force: true });
    });

    const reload = (out: readonly string[]) => prefix.reload(site(out).replace(new RegExp(`listen ${config.nginx.http_port};`, 'g'), `listen 127.0.0.1:${config.nginx.http_port};`));

    it('When both hosts are in rotation, then requests reach both, with the host asked for, the client appended to X-Forwarded-For and the scheme', async () => {
      expect(await hits(20)).toEqual({ statuses: new Set([200]), hosts: new Set(HOSTS) });
      expect(seen[0]?.headers).toMatchObject({ host: 'shop.test', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'https', 'x-request-id': expect.stringMatching(/^[0-9a-f]{32}$/) });
    });

    it('When a host is taken out of rotation (graceful reload), then it gets nothing, and it gets requests again once it is back', async () => {
      // A reload is a signal: the old workers take new connections until the new ones are up.
      reload(['127.0.0.3']);
      await waitFor('the reload', async () => !(await hits(4)).hosts.has('127.0.0.3'));
      expect(await hits(20)).toEqual({ statuses: new Set([200]), hosts: new Set(['127.0.0.2']) });
      reload([]);
      await waitFor('the reload', async () => (await hits(10)).hosts.size === 2);
      expect((await hits(20)).hosts).toEqual(new Set(HOSTS));
    });

    it('When a host in rotation stops answering, then every request still succeeds on the other (passive health checks)', async () => {
      await new Promise((resolve) => backends.get('127.0.0.3')?.close(resolve));
      backends.delete('127.0.0.3');
      expect(await hits(30)).toEqual({ statuses: new Set([200]), hosts: new Set(['127.0.0.2']) });
    });
  });
});

describeWith('nginx', nginxAvailable, "an app host's site behind a load balancer", () => {
  const prefix = new NginxPrefix();
  let app: Server;
  let httpPort: number;

  beforeAll(async () => {
    // The API's own view: Express trusting two hops (TRUST_PROXY=2: the balancer and this nginx).
    const api = express();
    api.set('trust proxy', 2);
    api.use((req, res) => void res.json({ ip: req.ip, protocol: req.protocol }));
    app = api.listen(0, '127.0.0.1');
    await new Promise((resolve) => app.once('listening', resolve));
    httpPort = await freePort();
    const root = privateRoot();
    const config = target(prefix, root, httpPort, await freePort(), { load_balancer: { type: 'external', trusted: ['127.0.0.1'] } });
    await prefix.start(targetSite({ name: 'production', app: { name: 'shop' }, target: config }, (app.address() as AddressInfo).port), httpPort);
  });

  afterAll(async () => {
    await prefix.stop();
    await new Promise((resolve) => app.close(resolve));
  });

  /** A request as the balancer forwards it: the client's forged entry, then the client's address it appended. */
  const viaBalancer = (client: string, path = '/api/v1/products/', method = 'GET') =>
    send(`http://127.0.0.1:${httpPort}${path}`, { method, body: method === 'POST' ? '{}' : undefined, headers: { 'X-Forwarded-For': `6.6.6.6, ${client}`, 'X-Forwarded-Proto': 'https', 'Content-Type': 'application/json' } });

  it("When the balancer forwards a client, then the API sees the client's address (not a forged one, not the balancer's) and the scheme the client used", async () => {
    expect(JSON.parse((await viaBalancer('203.0.113.7')).body)).toEqual({ ip: '203.0.113.7', protocol: 'https' });
  });

  it("When one client hammers login through the balancer, then this nginx limits that client only, not everyone behind the balancer's address", async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 15; attempt += 1) statuses.push((await viaBalancer('203.0.113.7', '/api/v1/auth/login/', 'POST')).status);
    expect(statuses.filter((status) => status === 429)).toHaveLength(4);
    expect((await viaBalancer('203.0.113.8', '/api/v1/auth/login/', 'POST')).status).toBe(200);
  });
});
