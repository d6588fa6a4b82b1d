import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNexus } from '../../support/cli';
import { describeWith } from '../../support/components';
import { NginxPrefix, nginxAvailable } from '../../support/nginx';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';

describeWith('nginx', nginxAvailable, 'nexus config nginx', () => {
  const project = mkdtempSync(join(tmpdir(), 'nexus-config-nginx-'));
  beforeAll(async () => {
    const init = await runNexus(['init', '--dir', project, '--name', 'shop', '--host', '203.0.113.10', '--host-key', PIN, '--domain', 'shop.example.com', '--domain', 'www.shop.example.com', '--mail', 'disabled', '--payment', 'simulated', '--tls-email', 'ops@example.com']);
    expect(init.code).toBe(0);
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('When rendered for a target without secrets at hand, then the site is the target\'s and nginx -t accepts it', async () => {
    const result = await runNexus(['config', 'nginx', '--target', 'production', '--dir', project, '--upstream-port', '8001']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('server 127.0.0.1:8001 max_fails=0;');
    expect(result.stdout).toContain('server_name shop.example.com www.shop.example.com;');
    expect(result.stdout).toContain('root /srv/shop/acme;');
    const prefix = new NginxPrefix();
    try {
      expect(prefix.test(result.stdout.replaceAll('/etc/nginx', prefix.dir))).toBe('');
    } finally {
      await prefix.stop();
    }
  });

  it('When --tls is given, then HTTP redirects to the canonical name and the certificate comes from the target\'s root', async () => {
    const result = await runNexus(['config', 'nginx', '--target', 'production', '--dir', project, '--upstream-port', '8002', '--tls']);
    expect(result.stdout).toContain('return 301 https://shop.example.com$request_uri;');
    expect(result.stdout).toContain('ssl_certificate /srv/shop/certs/shop.example.com/fullchain.pem;');
  });

  it('When the target is unknown, then exit 3 lists the defined ones', async () => {
    const result = await runNexus(['config', 'nginx', '--target', 'staging', '--dir', project, '--upstream-port', '8001']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Unknown target "staging": nexus.yml defines production.');
  });
});
