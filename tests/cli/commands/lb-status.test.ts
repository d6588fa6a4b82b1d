import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { loadDeployTarget } from '../../../cli/deploy-config/load';
import { loadBalancerSite } from '../../../cli/remote/lb-site';
import { runNexus } from '../../support/cli';
import { describeWith, freePort } from '../../support/components';
import { sshdProject, writeOverlay } from '../../support/deploy-project';
import { startSshd, sshdAvailable, type RunningSshd } from '../../support/sshd';

interface Upstream {
  address: string;
  rotation: string;
  ready: boolean;
  detail: string;
}

/**
 * The balancer's host is the test sshd (its site file under the test's root); the app hosts are two loopback
 * addresses whose readiness endpoint the test answers, as the balancer's curl reaches them.
 */
describeWith('sshd', sshdAvailable, 'nexus lb status (the balancer reached over real SSH)', () => {
  let sshd: RunningSshd;
  let project: string;
  let siteFile: string;
  /** The overlay that puts the two app hosts behind the balancer. */
  let balanced: Record<string, unknown>;
  const readiness = new Map<string, number>([
    ['127.0.0.2', 200],
    ['127.0.0.3', 200],
  ]);
  const servers: Server[] = [];

  beforeAll(async () => {
    sshd = await startSshd();
    const port = await freePort();
    for (const address of readiness.keys()) {
      const server = createServer((req, res) => {
        const status = req.url === '/health/readiness/' ? (readiness.get(address) as number) : 404;
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(status === 200 ? '{"status":"ready"}' : '{"status":"not_ready","checks":{"database":"unhealthy"}}');
      }).listen(port, address);
      await new Promise((resolve) => server.once('listening', resolve));
      servers.push(server);
    }
    const root = join(sshd.remoteRoot, 'lb');
    project = sshdProject(sshd, root);
    balanced = {
      hosts: [...readiness.keys()].map((address) => ({ address, host_key: sshd.hostKey })),
      database: 'external',
      redis: 'external',
      env: { MEDIA_STORAGE: 's3', MEDIA_S3_BUCKET: 'shop-media' },
      load_balancer: { type: 'nginx', host: { address: '127.0.0.1', host_key: sshd.hostKey } },
      nginx: { http_port: port },
    };
    writeOverlay(project, { targets: { production: balanced } });
    siteFile = join(root, 'nginx', 'site.conf');
    mkdirSync(join(root, 'nginx'), { recursive: true });
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await sshd.stop();
  });

  /** The balancer's site as a deploy leaves it, with `out` taken out of rotation. */
  const site = (out: string[]) => {
    const deploy = loadDeployTarget(project, 'production', {}, { secrets: false });
    const balancer = deploy.target.load_balancer;
    if (balancer?.type !== 'nginx') throw new Error('expected the nginx balancer');
    writeFileSync(siteFile, loadBalancerSite(deploy, balancer, out));
  };
  const status = (extra: string[] = []) => runNexus(['lb', 'status', '--target', 'production', '--dir', project, ...extra]);

  it('When every app host is in rotation and ready, then it says so host by host and exits 0', async () => {
    site([]);
    const result = await status(['--json']);
    expect(result.code).toBe(0);
    expect(result.json<{ type: string; host: string; upstream: Upstream[] }>()).toEqual({
      target: 'production',
      type: 'nginx',
      host: '127.0.0.1',
      upstream: [
        { address: '127.0.0.2', rotation: 'in', ready: true, detail: 'ready' },
        { address: '127.0.0.3', rotation: 'in', ready: true, detail: 'ready' },
      ],
    });
    const text = await status();
    expect(text.stdout).toMatch(/^production: nginx load balancer on 127\.0\.0\.1\n {2}127\.0\.0\.2 {2}in rotation +ready\n {2}127\.0\.0\.3 {2}in rotation +ready\n$/);
  });

  it('When a host was left out by a stopped deploy and another does not answer ready, then each is named and it exits 11', async () => {
    site(['127.0.0.3']);
    readiness.set('127.0.0.2', 503);
    try {
      const result = await status(['--json']);
      expect(result.code).toBe(11);
      const error = result.json<{ error: { code: string; message: string; details: { upstream: Upstream[] } } }>().error;
      expect(error).toMatchObject({ code: 'UPSTREAM_DEGRADED', message: '127.0.0.2, 127.0.0.3 are not serving through the load balancer.' });
      expect(error.details.upstream).toEqual([
        { address: '127.0.0.2', rotation: 'in', ready: false, detail: expect.stringContaining('HTTP 503: {"status":"not_ready"') },
        { address: '127.0.0.3', rotation: 'out', ready: true, detail: 'ready' },
      ]);
      expect((await status()).stdout).toContain('127.0.0.3  OUT          ready');
    } finally {
      readiness.set('127.0.0.2', 200);
    }
  });

  it("When the balancer's nginx logs are asked for by its address, then they are read there; its other services do not exist", async () => {
    const logDir = join(sshd.remoteRoot, 'lb-nginx-logs');
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, 'access.log'), '203.0.113.7 - - [07/Dec/2026:21:00:00 +0000] "GET /api/v1/products/ HTTP/1.1" 502 0\n');
    writeFileSync(join(logDir, 'error.log'), '');
    const logs = (service: string) => runNexus(['logs', service, '--target', 'production', '--dir', project, '--host', '127.0.0.1', '--nginx-log-dir', logDir, '--json']);
    const nginx = await logs('nginx');
    expect(nginx.code).toBe(0);
    expect(nginx.json<{ lines: string[] }>().lines.join('\n')).toContain('"GET /api/v1/products/ HTTP/1.1" 502');
    const app = await logs('app');
    expect(app.code).toBe(2);
    expect(app.json<{ error: { message: string } }>().error.message).toBe('127.0.0.1 is not a host of production that runs app.');
  });

  it('When the target has no load balancer, then it says how to declare one and exits 2', async () => {
    writeOverlay(project, { targets: { production: { ...balanced, load_balancer: undefined } } });
    try {
      const result = await status(['--json']);
      expect(result.code).toBe(2);
      expect(result.json<{ error: { message: string } }>().error.message).toBe('production has no load balancer: each host serves on its own (DNS round robin).');
    } finally {
      writeOverlay(project, { targets: { production: balanced } });
    }
  });
});
