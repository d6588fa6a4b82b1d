import { z } from 'zod';
import { addressScope, formatRange, isPrivateRange, parseListen, PRIVATE_RANGES, privateRangeOf, sameFamily } from './ip-ranges';

/** What each scrape target listens on when the setting is `true`: loopback, the port the field uses for it. */
export const DEFAULT_LISTEN = { node_exporter: '127.0.0.1:9100', api_metrics: '127.0.0.1:9464' } as const;
export type ScrapeTarget = keyof typeof DEFAULT_LISTEN;

const EXPECTED = 'expected true, false, or { listen: "<address>:<port>" (or one per host address), allow_from: [ranges] }';

/** Off (default), on at loopback (`true`), or where it listens and who may reach it. */
function scrapeTargetSchema(defaultListen: string) {
  return z
    .union(
      [
        z.boolean(),
        z
          .object({
            /** `<address>:<port>`, or a map from each host's address to its own (private addresses differ by host). */
            listen: z.union([z.string(), z.record(z.string(), z.string())]).default(defaultListen),
            /** Who may scrape through ufw; default: the private range of the listen address. */
            allow_from: z.array(z.string()).min(1).optional(),
          })
          .strict(),
      ],
      { error: EXPECTED },
    )
    .default(false);
}

/**
 * Metrics for Prometheus, off by default; the addresses are checked by monitoringProblems, which sees the hosts.
 * - node_exporter: `nexus server provision` installs Debian's prometheus-node-exporter on every host (`true`: 127.0.0.1:9100);
 * - api_metrics: each app host's nginx serves the API's `/metrics` there (`true`: 127.0.0.1:9464), for a scraper
 *   that sends METRICS_TOKEN.
 */
export const monitoringSchema = z
  .object({
    node_exporter: scrapeTargetSchema(DEFAULT_LISTEN.node_exporter),
    api_metrics: scrapeTargetSchema(DEFAULT_LISTEN.api_metrics),
  })
  .strict()
  .prefault({});

type Monitoring = z.output<typeof monitoringSchema>;
interface Target {
  hosts: { address: string }[];
  load_balancer?: { type: 'nginx'; host: { address: string } } | { type: 'external' };
  monitoring: Monitoring;
}

/** The hosts `nexus server provision` sets up: the app hosts, and the nginx load balancer's host. */
function provisionedHosts(target: Target): string[] {
  const lb = target.load_balancer;
  return [...target.hosts.map((host) => host.address), ...(lb?.type === 'nginx' ? [lb.host.address] : [])];
}

/** The hosts a scrape target runs on: the exporter on every provisioned host, the API's metrics on the app hosts. */
function hostsOf(target: Target, key: ScrapeTarget): string[] {
  return key === 'node_exporter' ? provisionedHosts(target) : target.hosts.map((host) => host.address);
}

function settingOf(monitoring: Monitoring, key: ScrapeTarget): { listen: string | Record<string, string>; allow_from?: string[] } | undefined {
  const setting = monitoring[key];
  if (setting === false) return undefined;
  return setting === true ? { listen: DEFAULT_LISTEN[key] } : setting;
}

const PRIVATE = PRIVATE_RANGES.map(formatRange).join(', ');

/** Why one listen address cannot be used, or undefined when it can. */
function listenProblem(listen: string): string | undefined {
  const parsed = parseListen(listen);
  if (!parsed) return `"${listen}" is not an <IP address>:<port> such as 127.0.0.1:9100, 10.0.0.5:9100 or "[fd00::5]:9100" (a name could resolve to a public address)`;
  const fix = `use 127.0.0.1:${parsed.port} (scraped on the host, or through an SSH tunnel) or the host's address on a private network (${PRIVATE})`;
  const scope = addressScope(parsed.address);
  if (scope === 'unspecified') return `${listen} listens on every interface, public ones included, and the metrics would be open to the internet; ${fix}`;
  if (scope === 'public') return `${parsed.address} is neither a loopback nor a private address, and the metrics would be open to the internet; ${fix}`;
  return undefined;
}

/** Each problem of the target's monitoring settings as `<key path>: <why>; <fix>`; none when they are off. */
export function monitoringProblems(name: string, target: Target): string[] {
  return (Object.keys(DEFAULT_LISTEN) as ScrapeTarget[]).flatMap((key) => listenProblems(name, target, key));
}

function listenProblems(name: string, target: Target, scrapeTarget: ScrapeTarget): string[] {
  const setting = settingOf(target.monitoring, scrapeTarget);
  if (!setting) return [];
  const at = (key: string) => `targets.${name}.monitoring.${scrapeTarget}.${key}`;
  const hosts = hostsOf(target, scrapeTarget);
  const port = DEFAULT_LISTEN[scrapeTarget].split(':')[1] as string;
  const problems: string[] = [];
  const listens = typeof setting.listen === 'string' ? { [at('listen')]: setting.listen } : Object.fromEntries(Object.entries(setting.listen).map(([host, listen]) => [`${at('listen')}["${host}"]`, listen]));
  for (const [key, listen] of Object.entries(listens)) {
    const problem = listenProblem(listen);
    if (problem) problems.push(`${key}: ${problem}`);
  }
  if (typeof setting.listen === 'string') {
    const parsed = parseListen(setting.listen);
    if (parsed && addressScope(parsed.address) === 'private' && hosts.length > 1) {
      problems.push(
        `${at('listen')}: ${parsed.address} can be the address of one host only, and ${hosts.length} hosts are provisioned; give each its own: listen: { ${hosts.map((host) => `"${host}": <its private address>:${parsed.port}`).join(', ')} }`,
      );
    }
  } else {
    for (const host of hosts.filter((address) => !(address in (setting.listen as Record<string, string>)))) {
      problems.push(`${at('listen')}: no address for ${host}; add "${host}": <its private address>:${port} (or 127.0.0.1:${port})`);
    }
    for (const host of Object.keys(setting.listen).filter((address) => !hosts.includes(address))) {
      problems.push(`${at('listen')}["${host}"]: ${host} is not one of the target's hosts (${hosts.join(', ')})`);
    }
  }
  (setting.allow_from ?? []).forEach((range, index) => {
    if (!isPrivateRange(range)) problems.push(`${at(`allow_from[${index}]`)}: ${range} is not an address or range inside a private network (${PRIVATE}); name the Prometheus server's address or its network, e.g. 10.0.0.0/24`);
  });
  for (const [key, listen] of Object.entries(listens)) {
    const parsed = parseListen(listen);
    if (parsed && addressScope(parsed.address) === 'private' && setting.allow_from && !setting.allow_from.some((range) => sameFamily(range, parsed.address))) {
      problems.push(`${at('allow_from')}: no range of ${key}'s IP version (${listen}), so nothing could reach it; add one such as ${privateRangeOf(parsed.address) ?? ''}`);
    }
  }
  return problems;
}

/** One host's exporter as provisioning needs it (listen, and the ranges ufw lets in), or undefined when off. */
export function nodeExporterFor(monitoring: Monitoring, host: string): { listen: string; allowFrom: string[] } | undefined {
  return listenerFor(monitoring, 'node_exporter', host);
}

/** Where one app host's nginx serves the API's metrics, and who may reach them, or undefined when off. */
export function apiMetricsFor(monitoring: Monitoring, host: string | undefined): { listen: string; allowFrom: string[] } | undefined {
  const setting = settingOf(monitoring, 'api_metrics');
  // A per-host map needs the host: `nexus config nginx` without one renders no metrics listener.
  if (host === undefined && setting && typeof setting.listen !== 'string') return undefined;
  return listenerFor(monitoring, 'api_metrics', host ?? '');
}

function listenerFor(monitoring: Monitoring, key: ScrapeTarget, host: string): { listen: string; allowFrom: string[] } | undefined {
  const setting = settingOf(monitoring, key);
  if (!setting) return undefined;
  const listen = typeof setting.listen === 'string' ? setting.listen : (setting.listen[host] ?? DEFAULT_LISTEN[key]);
  const address = parseListen(listen)?.address ?? '';
  if (addressScope(address) !== 'private') return { listen, allowFrom: [] };
  const allowFrom = setting.allow_from?.filter((range) => sameFamily(range, address)) ?? [privateRangeOf(address) ?? ''];
  return { listen, allowFrom };
}
