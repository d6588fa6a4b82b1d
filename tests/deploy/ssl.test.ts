import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { renderNginxSite } from '../../cli/remote/nginx-site';
import { expectExit, runNexus, type CliResult } from '../support/cli';
import { describeWith, freePort, waitFor } from '../support/components';
import { NginxPrefix, nginxAvailable } from '../support/nginx';
import { renewalInfoId } from '../../cli/acme/renewal-info';
import { startFaultProxy, type FaultProxy, type RenewalInfoAnswer } from '../support/acme-fault-proxy';
import { pebbleAvailable, startPebble, type RunningPebble } from '../support/pebble';
import { sshdAvailable, startSshd, type RunningSshd } from '../support/sshd';
import { served, servedSerial } from '../support/tls';

const DOMAINS = ['shop.nexus.test', 'www.nexus.test'];

interface CertificateJson {
  names: string[];
  issuer: string;
  serial: string;
  notAfter: string;
  renewAt: string;
  due: boolean;
}

describeWith('sshd + nginx + pebble', sshdAvailable && nginxAvailable && pebbleAvailable, 'nexus ssl against Pebble, through a real sshd and nginx', () => {
  let sshd: RunningSshd;
  let nginx: NginxPrefix;
  let pebble: RunningPebble;
  let project: string;
  let root: string;
  let httpPort: number;
  let httpsPort: number;
  let first: CertificateJson;

  const nexus = (args: string[]): Promise<CliResult> =>
    runNexus([...args, '--target', 'production', '--dir', project, '--json'], { env: { NODE_EXTRA_CA_CERTS: pebble.caFile, NEXUS_ACME_POLL_MS: '100' }, timeoutMs: 120_000 });
  const overlay = (settings: object) => writeFileSync(join(project, 'nexus.production.yml'), stringify({ targets: { production: settings } }));
  const site = () => readFileSync(join(nginx.dir, 'site.conf'), 'utf8');
  const certificateTimes = () => {
    const leaf = new X509Certificate(installedLeaf());
    return { notBefore: Date.parse(leaf.validFrom), notAfter: Date.parse(leaf.validTo) };
  };
  const installedLeaf = () => {
    const chain = readFileSync(join(root, 'certs', 'shop.nexus.test', 'fullchain.pem'), 'utf8');
    return chain.slice(0, chain.indexOf('-----END CERTIFICATE-----') + '-----END CERTIFICATE-----'.length);
  };

  beforeAll(async () => {
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    // 127.0.0.2 and .3 are the app hosts behind the load balancer (.4) of the last cases: this machine too.
    sshd = await startSshd({ alsoListenOn: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
    // nginx's workers (nobody) read the webroot under the "host"'s directory.
    chmodSync(dirname(sshd.remoteRoot), 0o711);
    chmodSync(sshd.remoteRoot, 0o755);
    root = join(sshd.remoteRoot, 'srv');
    mkdirSync(join(root, 'acme', '.well-known', 'acme-challenge'), { recursive: true });
    chmodSync(root, 0o755);
    pebble = await startPebble({ httpPort, validitySeconds: 90 });
    nginx = new NginxPrefix();
    await nginx.start(renderNginxSite({ app: 'shop', target: 'production', domains: DOMAINS, upstreamPort: 1, webroot: join(root, 'acme'), nginxDir: nginx.dir, httpPort, httpsPort, bodyLimit: '6m', ipv6: false }), httpPort);
    project = mkdtempSync(join(tmpdir(), 'nexus-ssl-project-'));
    writeFileSync(
      join(project, 'nexus.yml'),
      stringify({
        app: { name: 'shop' },
        targets: {
          production: {
            hosts: [{ address: '127.0.0.1', host_key: sshd.hostKey }],
            ssh: { user: sshd.user, port: sshd.port, key: sshd.clientKey },
            domains: DOMAINS,
            root,
            nginx: nginx.targetSettings(httpPort, httpsPort),
            tls: { ca: pebble.directoryUrl, email: 'ops@nexus.test', caa_identity: 'pebble.letsencrypt.org', dns_provider: { type: 'challtestsrv', url: pebble.challtestsrvUrl } },
            dns: { resolvers: [pebble.dnsServer], system: false },
          },
        },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await pebble?.stop();
    await sshd?.stop();
    rmSync(project, { recursive: true, force: true });
  }, 60_000);

  it('When there is no certificate yet, then status says so', async () => {
    const result = await nexus(['ssl', 'status']);
    expectExit(result, 0);
    expect(result.json()).toEqual({ certificate: null, timer: { installed: false, schedule: null, lastRun: null } });
  });

  it('When issued over http-01, then DNS is checked, the tokens are served by nginx, and nginx serves the new certificate over HTTPS', async () => {
    const result = await nexus(['ssl', 'issue']);
    expectExit(result, 0);
    first = result.json<{ certificate: CertificateJson }>().certificate;
    expect(first.names.sort()).toEqual([...DOMAINS].sort());
    expect(first.issuer).toMatch(/Pebble Intermediate/);
    const certificate = await served(httpsPort, 'shop.nexus.test');
    expect(certificate.serialNumber).toBe(first.serial);
    const chain = readFileSync(join(root, 'certs', 'shop.nexus.test', 'fullchain.pem'), 'utf8');
    const intermediate = new X509Certificate(chain.slice(chain.indexOf('-----BEGIN', 10)));
    expect(certificate.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate.verify(new X509Certificate(await pebble.root()).publicKey)).toBe(true);
    expect(statSync(join(root, 'certs', 'shop.nexus.test', 'privkey.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'certs', 'account.key')).mode & 0o777).toBe(0o600);
    expect(site()).toContain(`ssl_certificate ${join(root, 'certs', 'shop.nexus.test', 'fullchain.pem')};`);
    let location: string | null = null;
    await waitFor('the reloaded site', async () => {
      const answer = await fetch(`http://127.0.0.1:${httpPort}/health/`, { redirect: 'manual' });
      location = answer.headers.get('location');
      return answer.status === 301;
    });
    expect(location).toBe(`https://shop.nexus.test:${httpsPort}/health/`);
  }, 120_000);

  it('When renew runs before the renewal window, then it does nothing', async () => {
    const result = await nexus(['ssl', 'renew']);
    expectExit(result, 0);
    expect(result.json<{ renewed: boolean; certificate: CertificateJson }>()).toMatchObject({ renewed: false, certificate: { serial: first.serial } });
  }, 60_000);

  it('When a challenge fails, then the command fails and the existing certificate and nginx site stay', async () => {
    const before = site();
    const webroot = join(root, 'acme', '.well-known', 'acme-challenge');
    chmodSync(webroot, 0o700);
    try {
      const result = await nexus(['ssl', 'issue', '--skip-dns-check']);
      expectExit(result, 1);
      expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'ACME_FAILED', message: expect.stringContaining('existing certificate and nginx are untouched') });
    } finally {
      chmodSync(webroot, 0o755);
    }
    expect((await served(httpsPort, 'shop.nexus.test')).serialNumber).toBe(first.serial);
    expect(site()).toBe(before);
  }, 120_000);

  it('When the renewal window has come, then renew issues and installs a new certificate', async () => {
    overlay({ tls: { renew_fraction: 0.9 } });
    try {
      let status: CertificateJson;
      do {
        status = (await nexus(['ssl', 'status'])).json<{ certificate: CertificateJson }>().certificate;
        if (!status.due) await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(status.renewAt) - Date.now()) + 200));
      } while (!status.due);
      const result = await nexus(['ssl', 'renew']);
      expectExit(result, 0);
      const renewed = result.json<{ renewed: boolean; certificate: CertificateJson }>();
      expect(renewed.renewed).toBe(true);
      expect(renewed.certificate.serial).not.toBe(first.serial);
      expect(await servedSerial(httpsPort, 'shop.nexus.test', renewed.certificate.serial)).toBe(renewed.certificate.serial);
    } finally {
      rmSync(join(project, 'nexus.production.yml'), { force: true });
    }
  }, 120_000);

  it("When the renewal job's own nexus renews with its key, then every call it makes passes the key's gate (lock, account key, http-01 tokens, certificate swap, nginx reload), and the key runs nothing else", async () => {
    overlay({ ssh: { authorized_keys: sshd.authorizedKeys } });
    const jobDir = join(root, 'jobs', 'ssl-renew');
    try {
      expectExit(await nexus(['ssl', 'install-timer', '--scheduler', 'none', '--no-check']), 0);
      // What the job's container sees at /nexus, with the key where this machine has it.
      const copy = mkdtempSync(join(tmpdir(), 'nexus-renewal-job-'));
      mkdirSync(join(copy, '.nexus'));
      writeFileSync(join(copy, 'nexus.yml'), readFileSync(join(jobDir, 'nexus.yml'), 'utf8').replace('/nexus/id_ed25519', join(jobDir, 'id_ed25519')));
      writeFileSync(join(copy, '.nexus', 'secrets'), readFileSync(join(jobDir, 'secrets'), 'utf8'), { mode: 0o600 });
      const before = (await nexus(['ssl', 'status'])).json<{ certificate: CertificateJson }>().certificate.serial;
      const siteBefore = site();
      const job = await runNexus(['ssl', 'renew', '--force', '--target', 'production', '--dir', copy, '--json'], {
        env: { NODE_EXTRA_CA_CERTS: pebble.caFile, NEXUS_ACME_POLL_MS: '100', NEXUS_OPERATOR: 'scheduled-job@test' },
        timeoutMs: 120_000,
      });
      expectExit(job, 0);
      const renewed = job.json<{ renewed: boolean; certificate: CertificateJson }>();
      expect(renewed.renewed).toBe(true);
      expect(renewed.certificate.serial).not.toBe(before);
      expect(await servedSerial(httpsPort, 'shop.nexus.test', renewed.certificate.serial)).toBe(renewed.certificate.serial);
      // The job reloads nginx; the site file is the operator's to write.
      expect(site()).toBe(siteBefore);

      const other = spawnSync('ssh', ['-i', join(jobDir, 'id_ed25519'), '-p', String(sshd.port), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${sshd.user}@127.0.0.1`, 'id'], { encoding: 'utf8', timeout: 30_000 });
      expect(other.status).toBe(77);
      expect(other.stderr).toContain('nexus job gate: refused "id"');
    } finally {
      await nexus(['ssl', 'install-timer', '--remove']);
      rmSync(join(project, 'nexus.production.yml'), { force: true });
    }
  }, 180_000);

  describe('with ACME Renewal Information (Pebble 2.4 has none: the proxy adds the endpoint to its directory)', () => {
    const day = 86_400_000;
    const windowFrom = (startMs: number) => ({ start: new Date(startMs).toISOString(), end: new Date(startMs + day).toISOString() });
    const withAri = async (answer: RenewalInfoAnswer, renewFraction: number, work: (proxy: FaultProxy) => Promise<void>) => {
      const proxy = await startFaultProxy(pebble.directoryUrl, { ...pebble.wfe, ca: pebble.caFile }, [], answer);
      overlay({ tls: { ca: proxy.directoryUrl, renew_fraction: renewFraction } });
      try {
        await work(proxy);
      } finally {
        rmSync(join(project, 'nexus.production.yml'), { force: true });
        await proxy.close();
      }
    };

    it("When the CA's window is ahead, then status shows it and renew waits for it, though the lifetime rule says due", async () => {
      const window = windowFrom(Date.now() + 10 * day);
      // 0.9 of a 90 s lifetime: the lifetime rule alone would renew within seconds; only ARI can say "not yet".
      await withAri(() => ({ status: 200, body: { suggestedWindow: window } }), 0.9, async (proxy) => {
        const installed = certificateTimes();
        // Past a tenth of the lifetime, the lifetime rule's date (at most 0.9 of it before the end) has come.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, installed.notBefore + (installed.notAfter - installed.notBefore) / 10 + 200 - Date.now())));
        const answer = await nexus(['ssl', 'status']);
        expectExit(answer, 0);
        const status = answer.json<{ certificate: CertificateJson & { renewalBasis: string; renewalWindow: object } }>().certificate;
        expect(status).toMatchObject({ due: false, renewalBasis: 'ari', renewalWindow: window });
        expect(Date.parse(status.renewAt)).toBeGreaterThanOrEqual(Date.parse(window.start));
        const before = status.serial;
        const result = await nexus(['ssl', 'renew']);
        expectExit(result, 0);
        expect(result.json<{ renewed: boolean; certificate: CertificateJson }>()).toMatchObject({ renewed: false, certificate: { serial: before } });
        const asked = proxy.log.filter((entry) => entry.path.startsWith('/renewal-info/')).map((entry) => entry.path);
        expect(asked).toEqual([`/renewal-info/${renewalInfoId(installedLeaf())}`, `/renewal-info/${renewalInfoId(installedLeaf())}`]);
      });
    }, 120_000);

    it("When the CA's window has come early (e.g. before a mass revocation), then renew replaces the certificate and names the old one in the order", async () => {
      const old = installedLeaf();
      // 0.05: the lifetime rule alone would wait to the last few seconds.
      await withAri(() => ({ status: 200, body: { suggestedWindow: windowFrom(Date.now() - 2 * day), explanationURL: 'https://ca.test/incident' } }), 0.05, async (proxy) => {
        const result = await nexus(['ssl', 'renew']);
        expectExit(result, 0);
        const renewed = result.json<{ renewed: boolean; certificate: CertificateJson; previous: CertificateJson }>();
        expect(renewed.renewed).toBe(true);
        expect(renewed.certificate.serial).not.toBe(renewed.previous.serial);
        expect(result.stderr).toContain('https://ca.test/incident');
        const orders = proxy.log.filter((entry) => entry.path.startsWith('/order-plz'));
        expect(orders.map((entry) => entry.payload?.replaces)).toEqual([renewalInfoId(old)]);
        expect(await servedSerial(httpsPort, 'shop.nexus.test', renewed.certificate.serial)).toBe(renewed.certificate.serial);
      });
    }, 120_000);

    it("When the CA's ARI fails, then the lifetime rule decides, with a warning", async () => {
      await withAri(() => ({ status: 500, body: { type: 'urn:ietf:params:acme:error:serverInternal' } }), 1 / 3, async () => {
        const status = (await nexus(['ssl', 'status'])).json<{ certificate: CertificateJson & { renewalBasis: string; renewalInfoError: string } }>().certificate;
        expect(status).toMatchObject({ renewalBasis: 'lifetime', renewalInfoError: 'renewalInfo answered HTTP 500' });
        const text = await runNexus(['ssl', 'status', '--target', 'production', '--dir', project], { env: { NODE_EXTRA_CA_CERTS: pebble.caFile } });
        expectExit(text, 0);
        expect(text.stdout).toContain("lifetime rule; the CA's renewal information failed: renewalInfo answered HTTP 500");
      });
    }, 120_000);
  });

  it('When issued over dns-01 through the challtestsrv provider, then it is installed too', async () => {
    overlay({ tls: { challenge: 'dns-01' } });
    try {
      const result = await nexus(['ssl', 'issue']);
      expectExit(result, 0);
      const serial = result.json<{ certificate: CertificateJson }>().certificate.serial;
      expect(await servedSerial(httpsPort, 'www.nexus.test', serial)).toBe(serial);
    } finally {
      rmSync(join(project, 'nexus.production.yml'), { force: true });
    }
  }, 120_000);

  it('When dns-01 goes through an exec hook, then the script publishes and removes each record, and a failing script fails the order', async () => {
    const hook = join(project, 'dns-hook.sh');
    const log = join(project, 'dns-hook.log');
    writeFileSync(
      hook,
      [
        '#!/bin/sh',
        `echo "$NEXUS_DNS_ACTION $NEXUS_DNS_NAME \${UNNAMED_SECRET:-unset}" >> ${log}`,
        '[ "$HOOK_MODE" = fail ] && { echo "zone example.test not found" >&2; exit 4; }',
        `if [ "$NEXUS_DNS_ACTION" = present ]; then body=$(printf '{"host":"%s","value":"%s"}' "$NEXUS_DNS_NAME" "$NEXUS_DNS_VALUE"); path=set-txt; else body=$(printf '{"host":"%s"}' "$NEXUS_DNS_NAME"); path=clear-txt; fi`,
        `curl -sf -X POST -d "$body" ${pebble.challtestsrvUrl}/$path`,
      ].join('\n'),
    );
    chmodSync(hook, 0o755);
    overlay({ tls: { challenge: 'dns-01', dns_provider: { type: 'exec', command: [hook], env: ['HOOK_MODE'] } } });
    const issue = (mode: string) =>
      runNexus(['ssl', 'issue', '--skip-dns-check', '--target', 'production', '--dir', project, '--json'], { env: { NODE_EXTRA_CA_CERTS: pebble.caFile, NEXUS_ACME_POLL_MS: '100', HOOK_MODE: mode, UNNAMED_SECRET: 'leaked' } });
    try {
      const result = await issue('ok');
      expectExit(result, 0);
      // Pebble may reuse an authorization validated moments ago, so not every name needs a record; each
      // record published is removed again.
      const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      // Only the variables dns_provider.env names reach the hook, not the rest of the operator's environment.
      expect(lines.every((line) => line.endsWith(' unset'))).toBe(true);
      const calls = lines.map((line) => line.slice(0, -' unset'.length));
      const presented = calls.filter((call) => call.startsWith('present ')).map((call) => call.slice('present '.length)).sort();
      expect(presented.length).toBeGreaterThan(0);
      expect(presented.every((name) => ['_acme-challenge.shop.nexus.test.', '_acme-challenge.www.nexus.test.'].includes(name))).toBe(true);
      expect(calls.filter((call) => call.startsWith('cleanup ')).map((call) => call.slice('cleanup '.length)).sort()).toEqual(presented);
      const failing = await issue('fail');
      expect(failing.code).toBe(1);
      expect(failing.json<{ error: { message: string } }>().error.message).toContain('zone example.test not found');
    } finally {
      rmSync(join(project, 'nexus.production.yml'), { force: true });
    }
  }, 120_000);

  it('When a wildcard name is asked for, then dns-01 is used and the certificate covers it', async () => {
    overlay({ domains: ['nexus.test', '*.nexus.test'] });
    try {
      const result = await nexus(['ssl', 'issue', '--skip-dns-check']);
      expectExit(result, 0);
      const certificate = result.json<{ certificate: CertificateJson }>().certificate;
      expect(certificate.names.sort()).toEqual(['*.nexus.test', 'nexus.test']);
      expect(await servedSerial(httpsPort, 'anything.nexus.test', certificate.serial)).toBe(certificate.serial);
    } finally {
      rmSync(join(project, 'nexus.production.yml'), { force: true });
    }
  }, 120_000);

  it('When the CA answers 503, 429 with Retry-After and a burst of badNonce, then the client waits as told and the certificate is issued', async () => {
    const proxy = await startFaultProxy(pebble.directoryUrl, { ...pebble.wfe, ca: pebble.caFile }, [
      { method: 'GET', path: /^\/dir$/, times: 2, status: 503, headers: { 'Retry-After': '1' }, body: { type: 'urn:ietf:params:acme:error:serverInternal', detail: 'maintenance' } },
      { method: 'POST', path: /^\/order-plz/, times: 2, status: 429, headers: { 'Retry-After': '1' }, body: { type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many new orders recently' } },
      { method: 'POST', path: /^\/finalize-order\//, times: 3, status: 400, withNonce: true, body: { type: 'urn:ietf:params:acme:error:badNonce', detail: 'JWS has an invalid anti-replay nonce' } },
    ]);
    overlay({ tls: { ca: proxy.directoryUrl } });
    try {
      const result = await nexus(['ssl', 'issue', '--skip-dns-check']);
      expectExit(result, 0);
      const orders = proxy.log.filter((entry) => entry.path.startsWith('/order-plz'));
      expect(orders.map((entry) => entry.fault !== undefined)).toEqual([true, true, false]);
      for (let index = 1; index < orders.length; index += 1) expect((orders[index]?.at ?? 0) - (orders[index - 1]?.at ?? 0)).toBeGreaterThanOrEqual(950);
      expect(proxy.log.filter((entry) => entry.path.startsWith('/finalize-order/')).map((entry) => entry.fault !== undefined)).toEqual([true, true, true, false]);
      const serial = result.json<{ certificate: CertificateJson }>().certificate.serial;
      expect(await servedSerial(httpsPort, 'shop.nexus.test', serial)).toBe(serial);
    } finally {
      rmSync(join(project, 'nexus.production.yml'), { force: true });
      await proxy.close();
    }
  }, 120_000);

  it('When the CA keeps rate-limiting, then issue stops after a bounded number of waits with the reason the CA gave, and nothing changes', async () => {
    const installed = async () => (await nexus(['ssl', 'status'])).json<{ certificate: CertificateJson }>().certificate.serial;
    const before = { site: site(), serial: await installed() };
    const proxy = await startFaultProxy(pebble.directoryUrl, { ...pebble.wfe, ca: pebble.caFile }, [
      { method: 'POST', path: /^\/order-plz/, times: Infinity, status: 429, headers: { 'Retry-After': '1' }, body: { type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many new orders recently' } },
    ]);
    overlay({ tls: { ca: proxy.directoryUrl } });
    try {
      const result = await nexus(['ssl', 'issue', '--skip-dns-check']);
      expectExit(result, 1);
      expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'ACME_FAILED', message: expect.stringContaining('too many new orders recently') });
      const orders = proxy.log.filter((entry) => entry.path.startsWith('/order-plz'));
      expect(orders.length).toBeLessThanOrEqual(6);
      expect((orders.at(-1)?.at ?? 0) - (orders[0]?.at ?? 0)).toBeGreaterThanOrEqual(4_000);
    } finally {
      rmSync(join(project, 'nexus.production.yml'), { force: true });
      await proxy.close();
    }
    expect({ site: site(), serial: await installed() }).toEqual(before);
    expect(await servedSerial(httpsPort, 'shop.nexus.test', before.serial)).toBe(before.serial);
  }, 120_000);

  it('When a hostile CA sends a challenge token that is a path (../), then issue refuses it, writes nothing anywhere, and changes nothing', async () => {
    const installed = async () => (await nexus(['ssl', 'status'])).json<{ certificate: CertificateJson }>().certificate.serial;
    const before = { site: site(), serial: await installed() };
    const webroot = join(root, 'acme', '.well-known', 'acme-challenge');
    const webrootBefore = readdirSync(webroot);
    // An authorization always pending, whose http-01 token climbs out of the webroot to the "host"'s root. A
    // client that used it would leave the directory behind, even after removing the token file again.
    const escaped = `../../../nexus-escaped-${process.pid}`;
    const escape = `${escaped}/token`;
    const proxy = await startFaultProxy(pebble.directoryUrl, { ...pebble.wfe, ca: pebble.caFile }, [], undefined, (path, body) =>
      path.startsWith('/authZ/') && Array.isArray(body.challenges)
        ? { ...body, status: 'pending', challenges: (body.challenges as Record<string, unknown>[]).map((challenge) => ({ ...challenge, status: 'pending', token: escape })) }
        : undefined,
    );
    overlay({ tls: { ca: proxy.directoryUrl } });
    try {
      const result = await nexus(['ssl', 'issue', '--skip-dns-check']);
      expect(existsSync(join(webroot, escaped))).toBe(false);
      expectExit(result, 1);
      expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'ACME_FAILED', message: expect.stringContaining('http-01 token that is not base64url (RFC 8555 §8.3)') });
    } finally {
      rmSync(join(project, 'nexus.production.yml'), { force: true });
      rmSync(join(webroot, escaped), { recursive: true, force: true });
      await proxy.close();
    }
    expect(readdirSync(webroot)).toEqual(webrootBefore);
    expect({ site: site(), serial: await installed() }).toEqual(before);
  }, 120_000);

  it("When an nginx load balancer is in front, then its host answers the challenges and serves the certificate, and the renewal job on the first app host renews it there through its gate", async () => {
    overlay({
      hosts: ['127.0.0.2', '127.0.0.3'].map((address) => ({ address, host_key: sshd.hostKey })),
      database: 'external',
      redis: 'external',
      env: { MEDIA_STORAGE: 's3' },
      load_balancer: { type: 'nginx', host: { address: '127.0.0.4', host_key: sshd.hostKey } },
      ssh: { authorized_keys: sshd.authorizedKeys },
    });
    const jobDir = join(root, 'jobs', 'ssl-renew');
    try {
      // The test's names resolve to 127.0.0.1, not the balancer's address: the DNS check would (rightly) refuse.
      const result = await nexus(['ssl', 'issue', '--skip-dns-check']);
      expectExit(result, 0);
      const issued = result.json<{ certificate: CertificateJson }>().certificate;
      expect(await servedSerial(httpsPort, 'shop.nexus.test', issued.serial)).toBe(issued.serial);
      // Neither app host has served a release yet: both are out of the balancer's upstream.
      expect(site()).toContain(`server 127.0.0.2:${httpPort} max_fails=2 fail_timeout=10s down;\n  server 127.0.0.3:${httpPort} max_fails=2 fail_timeout=10s down;`);
      expect(site()).toContain(`ssl_certificate ${join(root, 'certs', 'shop.nexus.test', 'fullchain.pem')};`);

      expectExit(await nexus(['ssl', 'install-timer', '--scheduler', 'none', '--no-check']), 0);
      const copy = mkdtempSync(join(tmpdir(), 'nexus-renewal-job-'));
      mkdirSync(join(copy, '.nexus'));
      writeFileSync(join(copy, 'nexus.yml'), readFileSync(join(jobDir, 'nexus.yml'), 'utf8').replace('/nexus/id_ed25519', join(jobDir, 'id_ed25519')));
      writeFileSync(join(copy, '.nexus', 'secrets'), readFileSync(join(jobDir, 'secrets'), 'utf8'), { mode: 0o600 });
      const siteBefore = site();
      const job = await runNexus(['ssl', 'renew', '--force', '--target', 'production', '--dir', copy, '--json'], {
        env: { NODE_EXTRA_CA_CERTS: pebble.caFile, NEXUS_ACME_POLL_MS: '100', NEXUS_OPERATOR: 'scheduled-job@test' },
        timeoutMs: 120_000,
      });
      expectExit(job, 0);
      const renewed = job.json<{ certificate: CertificateJson }>().certificate;
      expect(renewed.serial).not.toBe(issued.serial);
      expect(await servedSerial(httpsPort, 'shop.nexus.test', renewed.serial)).toBe(renewed.serial);
      expect(site()).toBe(siteBefore);
    } finally {
      await nexus(['ssl', 'install-timer', '--remove']);
      rmSync(join(project, 'nexus.production.yml'), { force: true });
    }
  }, 240_000);

  it('When the certificate is revoked, then the CA records it as revoked', async () => {
    const status = (await nexus(['ssl', 'status'])).json<{ certificate: CertificateJson }>().certificate;
    expect(await pebble.certificateStatus(status.serial)).toBe('Valid');
    const result = await nexus(['ssl', 'revoke', '--yes']);
    expectExit(result, 0);
    expect(result.json<{ revoked: CertificateJson }>().revoked.serial).toBe(status.serial);
    expect(await pebble.certificateStatus(status.serial)).toBe('Revoked');
  }, 60_000);

  it('When the CA cannot be reached, then issue fails clearly and changes nothing', async () => {
    const before = site();
    overlay({ tls: { ca: `https://127.0.0.1:${await freePort()}/dir` } });
    try {
      const result = await nexus(['ssl', 'issue', '--skip-dns-check']);
      expect(result.code).toBe(1);
      expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'ACME_UNREACHABLE', message: expect.stringContaining('ECONNREFUSED') });
    } finally {
      rmSync(join(project, 'nexus.production.yml'), { force: true });
    }
    expect(site()).toBe(before);
  }, 60_000);

  it('When the CA requires external account binding, then the right EAB credentials register and wrong ones fail clearly, changing nothing', async () => {
    const hmac = Buffer.from('nexus-test-eab-hmac-key-32-bytes!').toString('base64url');
    const eabPebble = await startPebble({ httpPort, eab: { 'kid-nexus': hmac } });
    const before = site();
    // A fresh account key: the one on the host is registered with the first Pebble.
    rmSync(join(root, 'certs', 'account.key'), { force: true });
    overlay({ tls: { ca: eabPebble.directoryUrl, eab_kid: 'kid-nexus' } });
    const issue = (key: string) => runNexus(['ssl', 'issue', '--skip-dns-check', '--target', 'production', '--dir', project, '--json'], { env: { NODE_EXTRA_CA_CERTS: eabPebble.caFile, NEXUS_ACME_POLL_MS: '100', ACME_EAB_HMAC_KEY: key } });
    try {
      const wrong = await issue(Buffer.from('not-the-key-the-ca-gave-us-at-all').toString('base64url'));
      expectExit(wrong, 1);
      expect(wrong.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'ACME_FAILED', message: expect.stringMatching(/external account|EAB|binding/i) });
      expect(site()).toBe(before);
      const missing = await runNexus(['ssl', 'issue', '--skip-dns-check', '--target', 'production', '--dir', project, '--json'], { env: { NODE_EXTRA_CA_CERTS: eabPebble.caFile } });
      expectExit(missing, 3);
      rmSync(join(root, 'certs', 'account.key'), { force: true });
      expectExit(await issue(hmac), 0);
    } finally {
      rmSync(join(project, 'nexus.production.yml'), { force: true });
      rmSync(join(root, 'certs', 'account.key'), { force: true });
      await eabPebble.stop();
    }
  }, 120_000);
});
