import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { removeFile } from '../remote/certificates';
import { writeFile } from '../remote/files';
import type { HostDeployer } from './host-deployer';

export interface Reachability {
  address: string;
  /** The one-time token placed in the host's webroot came back over HTTP from this address. */
  http: 'ok' | 'wrong host' | 'unreachable';
  https: 'open' | 'closed';
  detail?: string;
}

function fetchToken(address: string, port: number, domain: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, headers: { Host: domain }, timeout: 5_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk.slice(0, 1_000)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end();
  });
}

function portOpen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 5_000 }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('timeout', () => (socket.destroy(), resolve(false)));
    socket.on('error', () => resolve(false));
  });
}

/**
 * Whether the addresses a domain resolves to really are the target's hosts: a one-time token is written into
 * every host's ACME webroot over SSH and fetched back over HTTP from each address, as the CA's validator will.
 */
export async function checkReachability(hosts: readonly HostDeployer[], domain: string, addresses: readonly string[], ports: { http: number; https: number }): Promise<Reachability[]> {
  const token = `nexus-check-${randomBytes(12).toString('hex')}`;
  const path = `/.well-known/acme-challenge/${token}`;
  for (const host of hosts) await host.run('place the reachability token', writeFile(`${host.layout.webroot}${path}`, '644'), { stdin: token });
  try {
    const results: Reachability[] = [];
    for (const address of addresses) {
      const https: Reachability['https'] = (await portOpen(address, ports.https)) ? 'open' : 'closed';
      try {
        const answer = await fetchToken(address, ports.http, domain, path);
        const ok = answer.status === 200 && answer.body.trim() === token;
        results.push({ address, http: ok ? 'ok' : 'wrong host', https, detail: ok ? undefined : `HTTP ${answer.status} without the token` });
      } catch (error) {
        results.push({ address, http: 'unreachable', https, detail: (error as Error).message });
      }
    }
    return results;
  } finally {
    for (const host of hosts) await host.exec.run(removeFile(`${host.layout.webroot}${path}`));
  }
}
