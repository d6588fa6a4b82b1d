import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { renderNginxSite } from '../../cli/remote/nginx-site';
import { runNexus } from '../support/cli';
import { bindAvailable, startBind, type RunningBind } from '../support/bind';
import { describeWith, freePort } from '../support/components';
import { NginxPrefix, nginxAvailable } from '../support/nginx';
import { pebbleAvailable, startPebble, type RunningPebble } from '../support/pebble';
import { sshdAvailable, startSshd, type RunningSshd } from '../support/sshd';

describeWith('sshd + nginx + pebble + BIND', sshdAvailable && nginxAvailable && pebbleAvailable && bindAvailable, 'nexus ssl with dns-01 through RFC 2136 updates to a real BIND', () => {
  let sshd: RunningSshd;
  let nginx: NginxPrefix;
  let bind: RunningBind;
  let pebble: RunningPebble;
  let project: string;
  let root: string;

  beforeAll(async () => {
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    sshd = await startSshd();
    chmodSync(dirname(sshd.remoteRoot), 0o711);
    root = join(sshd.remoteRoot, 'srv');
    mkdirSync(join(root, 'acme'), { recursive: true });
    bind = await startBind('nexus.test', { shop: '127.0.0.1' });
    pebble = await startPebble({ httpPort, dnsServer: bind.address });
    nginx = new NginxPrefix();
    await nginx.start(renderNginxSite({ app: 'shop', target: 'production', domains: ['shop.nexus.test'], upstreamPort: 1, webroot: join(root, 'acme'), nginxDir: nginx.dir, httpPort, httpsPort, bodyLimit: '6m', ipv6: false }), httpPort);
    project = mkdtempSync(join(tmpdir(), 'nexus-rfc2136-'));
    writeFileSync(
      join(project, 'nexus.yml'),
      stringify({
        app: { name: 'shop' },
        targets: {
          production: {
            hosts: [{ address: '127.0.0.1', host_key: sshd.hostKey }],
            ssh: { user: sshd.user, port: sshd.port, key: sshd.clientKey },
            domains: ['shop.nexus.test', '*.nexus.test'],
            root,
            nginx: nginx.targetSettings(httpPort, httpsPort),
            tls: { ca: pebble.directoryUrl, challenge: 'dns-01', dns_provider: { type: 'rfc2136', server: bind.address, key_name: bind.keyName, zone: 'nexus.test' } },
          },
        },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await pebble?.stop();
    await bind?.stop();
    await sshd?.stop();
    rmSync(project, { recursive: true, force: true });
  }, 60_000);

  const issue = (env: Record<string, string>) => runNexus(['ssl', 'issue', '--skip-dns-check', '--target', 'production', '--dir', project, '--json'], { env: { NODE_EXTRA_CA_CERTS: pebble.caFile, NEXUS_ACME_POLL_MS: '100', ...env }, timeoutMs: 120_000 });

  it('When the TSIG secret is missing, then it stops before contacting anyone', async () => {
    const result = await issue({});
    expect(result.code).toBe(3);
    expect(result.json<{ error: { message: string } }>().error.message).toContain('RFC2136_TSIG_SECRET');
  });

  it('When the TSIG key is wrong, then BIND refuses the update and the order fails with its answer', async () => {
    const result = await issue({ RFC2136_TSIG_SECRET: Buffer.from('w'.repeat(32)).toString('base64') });
    expect(result.code).toBe(1);
    expect(result.json<{ error: { message: string } }>().error.message).toMatch(/nsupdate on 127\.0\.0\.1 against .* failed: .*(BADSIG|NOTAUTH|tsig)/i);
  }, 120_000);

  it('When the key is right, then the TXT records are published in BIND, the wildcard certificate is issued, and the records are removed', async () => {
    const result = await issue({ RFC2136_TSIG_SECRET: bind.secret });
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stdout + result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.json<{ certificate: { names: string[] } }>().certificate.names.sort()).toEqual(['*.nexus.test', 'shop.nexus.test']);
    await expect(bind.resolver.resolveTxt('_acme-challenge.nexus.test')).rejects.toMatchObject({ code: expect.stringMatching(/ENODATA|ENOTFOUND/) });
  }, 120_000);
});
