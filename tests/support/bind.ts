import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, stopProcess, waitFor } from './components';

export const bindAvailable = Boolean(findBinary('named') && findBinary('nsupdate'));

export interface RunningBind {
  address: string;
  keyName: string;
  /** The TSIG secret (base64) that may update TXT records in the zone. */
  secret: string;
  resolver: dns.Resolver;
  stop(): Promise<void>;
}

/**
 * BIND serving one zone on a loopback port, authoritative only, that accepts RFC 2136 updates of TXT
 * records signed with a TSIG key made for the run.
 */
export async function startBind(zone: string, hosts: Record<string, string>): Promise<RunningBind> {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bind-'));
  const port = await freePort();
  const keyName = 'nexus-acme';
  const secret = randomBytes(32).toString('base64');
  writeFileSync(
    join(dir, 'named.conf'),
    `options { directory "${dir}"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; }; pid-file "${dir}/named.pid"; recursion no; allow-query { any; }; dnssec-validation no; };
key "${keyName}" { algorithm hmac-sha256; secret "${secret}"; };
controls { };
zone "${zone}" { type primary; file "${dir}/zone.db"; update-policy { grant ${keyName} subdomain ${zone}. TXT; }; };
`,
  );
  writeFileSync(
    join(dir, 'zone.db'),
    [`$TTL 60`, `@ IN SOA ns.${zone}. admin.${zone}. 1 60 60 600 60`, `@ IN NS ns.${zone}.`, `ns IN A 127.0.0.1`, ...Object.entries(hosts).map(([name, address]) => `${name} IN A ${address}`), ''].join('\n'),
  );
  const child: ChildProcess = spawn(findBinary('named') as string, ['-g', '-c', join(dir, 'named.conf'), '-u', 'root'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-3_000)));
  const resolver = new dns.Resolver({ timeout: 1_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  await waitFor(`named (${log})`, async () => {
    if (child.exitCode !== null) throw new Error(log);
    return (await resolver.resolveSoa(zone)).nsname === `ns.${zone}`;
  });
  return {
    address: `127.0.0.1:${port}`,
    keyName,
    secret,
    resolver,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
