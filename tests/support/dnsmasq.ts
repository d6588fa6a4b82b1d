import { spawn, type ChildProcess } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, stopProcess, waitFor } from './components';

export const dnsmasqAvailable = Boolean(findBinary('dnsmasq'));

export interface RunningDnsmasq {
  /** host:port, for --resolver. */
  address: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * An authoritative-only dnsmasq on a loopback port (tooling-notes §6) serving `records` (dnsmasq config lines,
 * e.g. `host-record=shop.nexus.test,203.0.113.10`). Names under `zone` that it does not know are NXDOMAIN.
 */
export async function startDnsmasq(zone: string, records: string[], port?: number): Promise<RunningDnsmasq> {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-dnsmasq-'));
  const listen = port ?? (await freePort());
  const config = join(dir, 'dnsmasq.conf');
  writeFileSync(config, [`port=${listen}`, 'listen-address=127.0.0.1', 'bind-interfaces', 'no-resolv', 'no-hosts', 'keep-in-foreground', `pid-file=${join(dir, 'pid')}`, `local=/${zone}/`, ...records, ''].join('\n'));
  const child: ChildProcess = spawn(findBinary('dnsmasq') as string, ['-C', config, '--user=root'], { stdio: 'ignore' });
  const resolver = new dns.Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${listen}`]);
  await waitFor(`dnsmasq on ${listen}`, async () => {
    if (child.exitCode !== null) throw new Error('dnsmasq exited');
    await resolver.resolve4(`nexus-probe.${zone}`).catch((error: { code?: string }) => {
      if (error.code !== 'ENOTFOUND') throw error;
    });
    return true;
  });
  return {
    address: `127.0.0.1:${listen}`,
    port: listen,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
