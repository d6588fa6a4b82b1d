import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, stopProcess, waitFor } from './components';

export const pebbleAvailable = Boolean(findBinary('pebble') && findBinary('pebble-challtestsrv') && findBinary('openssl'));

export interface RunningPebble {
  directoryUrl: string;
  /** Pebble's own HTTPS certificate and key (a proxy in front of it can present the same). */
  wfe: { cert: string; key: string };
  /** The CA of Pebble's own HTTPS (not of the certificates it issues): pass as NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** challtestsrv's DNS server (host:port) and management API. */
  dnsServer: string;
  challtestsrvUrl: string;
  /** Pebble's current root (new on every start), to verify issued chains. */
  root(): Promise<string>;
  /** What Pebble says about a certificate it issued (`Valid` or `Revoked`), by its serial in hex. */
  certificateStatus(serial: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Pebble and pebble-challtestsrv on free loopback ports (tooling-notes §4): a CA made for the run (Debian's
 * package ships none), validation without sleeps, no authorization reuse, every name resolving to
 * 127.0.0.1 through challtestsrv's DNS. Pebble's validator reaches http-01 tokens on `httpPort`.
 */
export async function startPebble(options: { httpPort: number; validitySeconds?: number; eab?: Record<string, string>; dnsServer?: string }): Promise<RunningPebble> {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-pebble-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=nexus test WFE CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'wfe.key', '-out', 'wfe.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'wfe.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  openssl('x509', '-req', '-in', 'wfe.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'wfe.pem', '-days', '2', '-extfile', 'wfe.ext');

  const [acmePort, managementPort, dnsPort, challtestPort, tlsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  writeFileSync(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: join(dir, 'wfe.pem'),
        privateKey: join(dir, 'wfe.key'),
        httpPort: options.httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: options.eab !== undefined,
        ...(options.eab ? { externalAccountMACKeys: options.eab } : {}),
        ...(options.validitySeconds ? { certificateValidityPeriod: options.validitySeconds } : {}),
      },
    }),
  );
  const challtestsrv = spawn(
    'pebble-challtestsrv',
    ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${challtestPort}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''],
    { stdio: 'ignore' },
  );
  // The validator resolves names through challtestsrv, or through the DNS server a test brings (e.g. BIND).
  const pebble = spawn('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', options.dnsServer ?? `127.0.0.1:${dnsPort}`], {
    stdio: 'ignore',
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
  });
  const ca = readFileSync(join(dir, 'ca.pem'));
  const get = (url: string) =>
    new Promise<string>((resolve, reject) => {
      request(url, { ca }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode} from ${url}`))));
      })
        .on('error', reject)
        .end();
    });
  await waitFor('pebble', async () => (await get(`https://127.0.0.1:${acmePort}/dir`)).includes('newOrder'));
  await waitFor('challtestsrv', async () => (await fetch(`http://127.0.0.1:${challtestPort}/clear-a`, { method: 'POST', body: '{"host":"nothing.test"}' })).ok);
  return {
    directoryUrl: `https://127.0.0.1:${acmePort}/dir`,
    wfe: { cert: join(dir, 'wfe.pem'), key: join(dir, 'wfe.key') },
    caFile: join(dir, 'ca.pem'),
    dnsServer: `127.0.0.1:${dnsPort}`,
    challtestsrvUrl: `http://127.0.0.1:${challtestPort}`,
    root: () => get(`https://127.0.0.1:${managementPort}/roots/0`),
    certificateStatus: async (serial) => (JSON.parse(await get(`https://127.0.0.1:${managementPort}/cert-status-by-serial/${serial.toLowerCase()}`)) as { Status: string }).Status,
    stop: async () => {
      await Promise.all([stopProcess(pebble), stopProcess(challtestsrv)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
