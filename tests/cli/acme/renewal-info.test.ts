import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { derSerialBytes, fetchRenewalInfo, renewalInfoId } from '../../../cli/acme/renewal-info';
import { certificateStatus, timeInWindow } from '../../../cli/services/certificate-status';

/** A leaf signed by a CA whose key identifier and the leaf's serial are the ones of RFC 9773's example. */
function rfcExampleLeaf(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-ari-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ARI test CA',
      '-addext', 'subjectKeyIdentifier=69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4');
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=shop.nexus.test');
    writeFileSync(join(dir, 'ext'), 'authorityKeyIdentifier=keyid\nsubjectAltName=DNS:shop.nexus.test\n');
    openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x87654321', '-days', '1', '-extfile', 'ext', '-out', 'leaf.pem');
    return readFileSync(join(dir, 'leaf.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RFC 9773's example certificate id, which rfcExampleLeaf() has. */
const RFC_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';

describe('ACME Renewal Information (RFC 9773)', () => {
  it('When a serial has its top bit set, then its DER bytes start with a zero, and redundant zeros are dropped', () => {
    expect(derSerialBytes('87654321').toString('hex')).toBe('0087654321');
    expect(derSerialBytes('0087654321').toString('hex')).toBe('0087654321');
    expect(derSerialBytes('00007F').toString('hex')).toBe('7f');
    expect(derSerialBytes('1').toString('hex')).toBe('01');
    expect(derSerialBytes('80').toString('hex')).toBe('0080');
  });

  it("When a certificate is named for ARI, then the id is the RFC's example: base64url(AKI).base64url(serial)", () => {
    expect(renewalInfoId(rfcExampleLeaf())).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
  });

  describe('asking a CA', () => {
    let server: Server;
    let base: string;
    let directory: object;
    let answer: { status: number; body: string; headers?: Record<string, string> };
    const asked: string[] = [];
    const leaf = rfcExampleLeaf();
    const now = new Date('2026-12-01T00:00:00Z');

    beforeAll(async () => {
      server = createServer((req, res) => {
        asked.push(req.url ?? '');
        if (req.url === '/dir') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(directory));
        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers }).end(answer.body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
      asked.length = 0;
      directory = { newOrder: `${base}/order`, renewalInfo: `${base}/renewal-info` };
    });

    it('When the directory has no renewalInfo, then ARI is not offered and nothing else is asked', async () => {
      directory = { newOrder: `${base}/order` };
      expect(await fetchRenewalInfo(`${base}/dir`, leaf, now)).toEqual({ offered: false });
      expect(asked).toEqual(['/dir']);
    });

    it('When the CA suggests a window, then it is read from the certificate\'s own URL, with the explanation and Retry-After', async () => {
      answer = { status: 200, headers: { 'Retry-After': '21600' }, body: JSON.stringify({ suggestedWindow: { start: '2026-12-05T00:00:00Z', end: '2026-12-06T00:00:00Z' }, explanationURL: 'https://ca.test/incident' }) };
      expect(await fetchRenewalInfo(`${base}/dir`, leaf, now)).toEqual({
        offered: true,
        certificateId: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
        window: { start: '2026-12-05T00:00:00.000Z', end: '2026-12-06T00:00:00.000Z', explanationURL: 'https://ca.test/incident', checkAgainAfter: '2026-12-01T06:00:00.000Z' },
      });
      expect(asked).toEqual(['/dir', '/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE']);
    });

    it.each([
      ['a server error', { status: 503, body: '{}' }, 'HTTP 503'],
      ['no window', { status: 200, body: '{"explanationURL":"x"}' }, 'without a valid suggestedWindow'],
      ['a window that ends before it starts', { status: 200, body: JSON.stringify({ suggestedWindow: { start: '2026-12-06T00:00:00Z', end: '2026-12-05T00:00:00Z' } }) }, 'without a valid suggestedWindow'],
      ['something that is not JSON', { status: 200, body: '<html>' }, 'JSON'],
    ])('When the CA answers with %s, then the error is reported for the lifetime rule to stand in', async (_label, reply, message) => {
      answer = reply;
      const result = await fetchRenewalInfo(`${base}/dir`, leaf, now);
      expect(result).toEqual({ offered: true, error: expect.stringContaining(message) });
    });

    it('When the CA cannot be reached, then that is an error, not a window', async () => {
      const result = await fetchRenewalInfo('http://127.0.0.1:1/dir', leaf, now, 2_000);
      expect(result).toMatchObject({ offered: true, error: expect.stringContaining('directory') });
    });
  });

  describe('the renewal time', () => {
    const window = { start: '2026-12-05T00:00:00.000Z', end: '2026-12-06T00:00:00.000Z' };
    const leaf = rfcExampleLeaf();

    it('When the CA gives a window, then the moment lies inside it, the same on every run', () => {
      for (const serial of ['01', '87654321', 'FFFFFFFF', 'ABCDEF0123']) {
        const at = timeInWindow(window, serial).getTime();
        expect(at).toBeGreaterThanOrEqual(Date.parse(window.start));
        expect(at).toBeLessThan(Date.parse(window.end));
        expect(timeInWindow(window, serial).getTime()).toBe(at);
      }
    });

    it('When the window has passed, then renewal is due at once, whatever the lifetime says', () => {
      const fresh = new Date(certificateStatus('shop.nexus.test', leaf, 0.01).notBefore);
      expect(certificateStatus('shop.nexus.test', leaf, 0.01, fresh).due).toBe(false);
      const passed = { start: new Date(fresh.getTime() - 2 * 86_400_000).toISOString(), end: new Date(fresh.getTime() - 86_400_000).toISOString() };
      expect(certificateStatus('shop.nexus.test', leaf, 0.01, fresh, { window: passed, certificateId: RFC_ID })).toMatchObject({ due: true, renewalBasis: 'ari', renewalWindow: passed, renewalInfoId: RFC_ID });
    });

    it('When the window is ahead, then it is not due even when the lifetime rule would say so', () => {
      const afterExpiry = new Date(Date.parse(certificateStatus('shop.nexus.test', leaf, 1 / 3).notAfter) + 3_600_000);
      expect(certificateStatus('shop.nexus.test', leaf, 1 / 3, afterExpiry).due).toBe(true);
      const ahead = { start: new Date(afterExpiry.getTime() + 86_400_000).toISOString(), end: new Date(afterExpiry.getTime() + 2 * 86_400_000).toISOString() };
      const status = certificateStatus('shop.nexus.test', leaf, 1 / 3, afterExpiry, { window: ahead, certificateId: RFC_ID });
      expect(status).toMatchObject({ due: false, renewalBasis: 'ari' });
      expect(Date.parse(status.renewAt)).toBeGreaterThanOrEqual(Date.parse(ahead.start));
    });

    it('When ARI failed, then the lifetime rule decides and the error is kept', () => {
      const status = certificateStatus('shop.nexus.test', leaf, 1 / 3, new Date(), { error: 'renewalInfo answered HTTP 503' });
      expect(status).toMatchObject({ renewalBasis: 'lifetime', renewalInfoError: 'renewalInfo answered HTTP 503' });
      expect(status.renewalWindow).toBeUndefined();
    });
  });
});
