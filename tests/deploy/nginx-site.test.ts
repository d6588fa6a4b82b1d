import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderNginxSite, type NginxSite } from '../../cli/remote/nginx-site';
import { describeWith, freePort } from '../support/components';
import { NginxPrefix, nginxAvailable, selfSignedCertificate } from '../support/nginx';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, options: { host: string; servername?: string; method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer }): Promise<Answer> {
  const parsed = new URL(url);
  const send = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      { hostname: '127.0.0.1', port: parsed.port, path: parsed.pathname + parsed.search, method: options.method ?? 'GET', headers: { Host: options.host, ...options.headers }, servername: options.servername ?? options.host, ca: options.ca, agent: false },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const BASE: Omit<NginxSite, 'upstreamPort' | 'httpPort' | 'httpsPort' | 'webroot' | 'nginxDir'> = {
  app: 'shop',
  target: 'production',
  domains: ['shop.test', 'www.shop.test'],
  bodyLimit: '6m',
  ipv6: false,
};

describeWith('nginx', nginxAvailable, 'the rendered nginx site', () => {
  it('When rendered for a host, with and without a certificate, then nginx -t accepts both', () => {
    const prefix = new NginxPrefix();
    try {
      const site = { ...BASE, upstreamPort: 18000, httpPort: 80, httpsPort: 443, webroot: prefix.webroot, nginxDir: prefix.dir, ipv6: true };
      expect(prefix.test(renderNginxSite(site))).toBe('');
      const tls = renderNginxSite({ ...site, certificate: selfSignedCertificate(prefix.dir, ['shop.test', 'www.shop.test']) });
      expect(tls).toContain('return 301 https://shop.test$request_uri;');
      expect(prefix.test(tls)).toBe('');
      expect(() => prefix.test(tls.replace('proxy_pass http://shop_app;', 'proxy_pass;'))).toThrow(/invalid number of arguments in "proxy_pass"/);
      // With the API's metrics on an address of their own (a private one on a host; nginx -t binds it, so one of this machine's here), allowed from the Prometheus server's network only.
      const metered = renderNginxSite({ ...site, metrics: { listen: '127.0.0.5:9464', allowFrom: ['10.0.0.2', '10.0.1.0/24'] } });
      expect(metered).toMatch(/listen 127\.0\.0\.5:9464;[\s\S]*location = \/metrics \{\n {4}allow 10\.0\.0\.2;\n {4}allow 10\.0\.1\.0\/24;\n {4}deny all;/);
      expect(prefix.test(metered)).toBe('');
    } finally {
      void prefix.stop();
    }
  });

  describe('serving', () => {
    const prefix = new NginxPrefix();
    let upstream: Server;
    let seen: Record<string, string | string[] | undefined>[] = [];
    let httpPort: number;
    let httpsPort: number;
    let metricsPort: number;
    let ca: Buffer;

    beforeAll(async () => {
      upstream = createServer((req, res) => {
        seen.push(req.headers);
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('X-Frame-Options', 'DENY');
        res.end(JSON.stringify({ path: req.url }));
      }).listen(0, '127.0.0.1');
      await new Promise((resolve) => upstream.once('listening', resolve));
      [httpPort, httpsPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
      const certificate = selfSignedCertificate(prefix.dir, ['shop.test', 'www.shop.test']);
      ca = readFileSync(certificate.fullchain);
      const site = renderNginxSite({ ...BASE, upstreamPort: (upstream.address() as AddressInfo).port, httpPort, httpsPort, webroot: prefix.webroot, nginxDir: prefix.dir, certificate, metrics: { listen: `127.0.0.1:${metricsPort}`, allowFrom: [] } });
      await prefix.start(site, httpPort);
    });
    afterAll(async () => {
      await prefix.stop();
      await new Promise((resolve) => upstream.close(resolve));
    });
    beforeEach(() => {
      seen = [];
    });

    const https = (path: string, options: { host?: string; method?: string; headers?: Record<string, string>; body?: string } = {}) =>
      get(`https://127.0.0.1:${httpsPort}${path}`, { host: 'shop.test', ca, ...options });

    it('When a client speaks plain HTTP, then it is sent to the canonical HTTPS name, not to an IP', async () => {
      const answer = await get(`http://127.0.0.1:${httpPort}/api/v1/products/?page=2`, { host: 'www.shop.test' });
      expect(answer.status).toBe(301);
      expect(answer.headers.location).toBe(`https://shop.test:${httpsPort}/api/v1/products/?page=2`);
      expect(answer.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    });

    it('When the CA asks for an ACME token over HTTP, then the webroot answers it (and only existing tokens)', async () => {
      writeFileSync(join(prefix.webroot, '.well-known', 'acme-challenge', 'tok-123'), 'tok-123.thumbprint');
      expect(await get(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/tok-123`, { host: 'shop.test' })).toMatchObject({ status: 200, body: 'tok-123.thumbprint' });
      expect((await get(`http://127.0.0.1:${httpPort}/.well-known/acme-challenge/missing`, { host: 'shop.test' })).status).toBe(404);
    });

    it('When proxied over HTTPS, then the app gets the client address appended (not replaced), the scheme, the host and a request id', async () => {
      const answer = await https('/api/v1/products/', { headers: { 'X-Forwarded-For': '203.0.113.66' } });
      expect(answer).toMatchObject({ status: 200, body: '{"path":"/api/v1/products/"}' });
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(seen[0]).toMatchObject({ host: 'shop.test', 'x-forwarded-for': '203.0.113.66, 127.0.0.1', 'x-forwarded-proto': 'https' });
      expect(seen[0]?.['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    });

    it.each(['/metrics', '/metrics/', '/METRICS', '/Metrics?x=1', '//metrics', '/%6detrics', '/metrics/../metrics', '/api/../metrics'])(
      'When %s is asked for over HTTPS, even with a bearer token, then nginx answers 404 itself and the app never sees it',
      async (path) => {
        const answer = await https(path, { headers: { Authorization: 'Bearer a-stolen-token-0123456789' } });
        expect(answer.status).toBe(404);
        expect(JSON.parse(answer.body)).toEqual({ detail: 'Not found.', code: 'not_found' });
        expect(seen).toEqual([]);
      },
    );

    it('When a scraper asks the metrics listener (monitoring.api_metrics), then /metrics reaches the app with its bearer token, and nothing else does', async () => {
      const scraped = await get(`http://127.0.0.1:${metricsPort}/metrics`, { host: '127.0.0.1', headers: { Authorization: 'Bearer the-scrapers-token-0123' } });
      expect(scraped).toMatchObject({ status: 200, body: '{"path":"/metrics"}' });
      expect(seen).toHaveLength(1);
      expect(seen[0]?.authorization).toBe('Bearer the-scrapers-token-0123');
      for (const path of ['/', '/api/v1/products/', '/metrics/extra', '/health/']) {
        const other = await get(`http://127.0.0.1:${metricsPort}${path}`, { host: '127.0.0.1' });
        expect(other.status).toBe(404);
      }
      expect(seen).toHaveLength(1);
    });

    it('When another name of the site is used over HTTPS, then it redirects to the canonical one', async () => {
      const answer = await https('/x', { host: 'www.shop.test' });
      expect(answer.status).toBe(301);
      expect(answer.headers.location).toBe(`https://shop.test:${httpsPort}/x`);
    });

    it('When a client hammers login on either mount, then nginx answers 429 past the burst', async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 15; attempt += 1) {
        const path = attempt % 2 === 0 ? '/api/v1/auth/login/' : '/api/v1/users/login/';
        statuses.push((await https(path, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })).status);
      }
      expect(statuses.filter((status) => status === 200)).toHaveLength(11);
      expect(statuses.filter((status) => status === 429)).toHaveLength(4);
    });

    it('When a body is larger than the limit, then nginx refuses it before the app', async () => {
      const answer = await https('/api/v1/admin/products', { method: 'POST', body: 'x'.repeat(7 * 1024 * 1024), headers: { 'Content-Type': 'application/octet-stream' } });
      expect(answer.status).toBe(413);
      expect(seen).toHaveLength(0);
    });
  });

  describe('serving a wildcard name (shop.test, *.shop.test)', () => {
    const prefix = new NginxPrefix();
    let upstream: Server;
    let seen: Record<string, string | string[] | undefined>[] = [];
    let httpPort: number;
    let httpsPort: number;
    let ca: Buffer;
    let site: string;

    beforeAll(async () => {
      upstream = createServer((req, res) => {
        seen.push(req.headers);
        res.end(JSON.stringify({ path: req.url }));
      }).listen(0, '127.0.0.1');
      await new Promise((resolve) => upstream.once('listening', resolve));
      [httpPort, httpsPort] = [await freePort(), await freePort()];
      const certificate = selfSignedCertificate(prefix.dir, ['shop.test', '*.shop.test']);
      ca = readFileSync(certificate.fullchain);
      site = renderNginxSite({ ...BASE, domains: ['shop.test', '*.shop.test'], upstreamPort: (upstream.address() as AddressInfo).port, httpPort, httpsPort, webroot: prefix.webroot, nginxDir: prefix.dir, certificate });
      await prefix.start(site, httpPort);
    });
    afterAll(async () => {
      await prefix.stop();
      await new Promise((resolve) => upstream.close(resolve));
    });
    beforeEach(() => {
      seen = [];
    });

    it('When rendered, then nginx -t accepts it and no redirect names a literal *', () => {
      expect(prefix.test(site)).toBe('');
      expect(site).not.toMatch(/https:\/\/\*/);
    });

    it('When a subdomain is asked for over HTTP, then the redirect keeps the host asked for; an unknown host goes to the canonical name', async () => {
      const tenant = await get(`http://127.0.0.1:${httpPort}/api/v1/products/?page=2`, { host: 'tenant.shop.test' });
      expect(tenant.status).toBe(301);
      expect(tenant.headers.location).toBe(`https://tenant.shop.test:${httpsPort}/api/v1/products/?page=2`);
      const stranger = await get(`http://127.0.0.1:${httpPort}/x`, { host: 'evil.example' });
      expect(stranger.headers.location).toBe(`https://shop.test:${httpsPort}/x`);
      const deeper = await get(`http://127.0.0.1:${httpPort}/x`, { host: 'a.b.shop.test' });
      expect(deeper.headers.location).toBe(`https://shop.test:${httpsPort}/x`);
    });

    it('When a subdomain is asked for over HTTPS, then the app serves it under its own host; the canonical name too; another host is redirected', async () => {
      const tenant = await get(`https://127.0.0.1:${httpsPort}/api/v1/products/`, { host: 'tenant.shop.test', ca });
      expect(tenant.status).toBe(200);
      expect(seen[0]).toMatchObject({ host: 'tenant.shop.test' });
      expect((await get(`https://127.0.0.1:${httpsPort}/`, { host: 'shop.test', ca })).status).toBe(200);
      const stranger = await get(`https://127.0.0.1:${httpsPort}/x`, { host: 'evil.example', servername: 'shop.test', ca });
      expect(stranger.status).toBe(301);
      expect(stranger.headers.location).toBe(`https://shop.test:${httpsPort}/x`);
    });
  });
});
