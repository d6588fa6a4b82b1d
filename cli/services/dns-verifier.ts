import { randomBytes } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** A resolver to ask: `system` (the machine's resolv.conf) or an address with an optional port. */
export interface ResolverSpec {
  name: string;
  servers?: string[];
}

export type AnswerVerdict = 'ok' | 'missing' | 'wrong' | 'error';
export type DomainVerdict = 'ok' | 'not propagated' | 'wrong';

export interface ResolverAnswer {
  resolver: string;
  addresses: string[];
  verdict: AnswerVerdict;
  detail?: string;
}

export interface DomainReport {
  domain: string;
  /** The name actually queried (a random label under a wildcard). */
  queried: string;
  expected: string[];
  verdict: DomainVerdict;
  answers: ResolverAnswer[];
  caa: { name?: string; records: string[]; allows: boolean };
  notes: string[];
}

// Cloudflare's published proxy ranges: a name answering with these is proxied, and the CA (and the
// redirect checks) will talk to Cloudflare, not to the host.
const CLOUDFLARE = new BlockList();
for (const range of ['173.245.48.0/20', '103.21.244.0/22', '103.22.200.0/22', '103.31.4.0/22', '141.101.64.0/18', '108.162.192.0/18', '190.93.240.0/20', '188.114.96.0/20', '197.234.240.0/22', '198.41.128.0/17', '162.158.0.0/15', '104.16.0.0/13', '104.24.0.0/14', '172.64.0.0/13', '131.0.72.0/22']) {
  const [network, prefix] = range.split('/') as [string, string];
  CLOUDFLARE.addSubnet(network, Number(prefix), 'ipv4');
}

const ABSENT = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

function resolverFor(spec: ResolverSpec): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: 2_000, tries: 2 });
  if (spec.servers) resolver.setServers(spec.servers);
  return resolver;
}

async function addressesOf(resolver: dns.Resolver, name: string): Promise<{ addresses: string[]; absent: boolean; error?: string }> {
  const results = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
  const addresses = results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
  const errors = results.flatMap((result) => (result.status === 'rejected' ? [(result.reason as { code?: string }).code ?? String(result.reason)] : []));
  const hardError = errors.find((code) => !ABSENT.has(code));
  return { addresses, absent: addresses.length === 0 && !hardError, error: addresses.length === 0 ? hardError : undefined };
}

/** CAA as RFC 8659 finds it: the records at the closest name, walking up from the domain. */
async function caaOf(resolver: dns.Resolver, domain: string, identity: string, wildcard: boolean): Promise<DomainReport['caa']> {
  const labels = domain.split('.');
  for (let index = 0; index < labels.length - 1; index += 1) {
    const name = labels.slice(index).join('.');
    const records = await resolver.resolveCaa(name).catch(() => []);
    if (records.length === 0) continue;
    const issuers = (tag: 'issue' | 'issuewild') => records.filter((record) => record[tag] !== undefined).map((record) => String(record[tag]).split(';')[0]?.trim());
    const relevant = wildcard && issuers('issuewild').length > 0 ? issuers('issuewild') : issuers('issue');
    const text = records.map((record) => Object.entries(record).filter(([key]) => key !== 'critical').map(([key, value]) => `${key} "${String(value)}"`).join(' '));
    return { name, records: text, allows: relevant.length === 0 ? records.every((record) => record.issue === undefined) : relevant.includes(identity) };
  }
  return { records: [], allows: true };
}

/**
 * What each resolver says about a domain against the addresses it should have, and what that means:
 * `ok` when every resolver answers with expected addresses only; `wrong` when none does and at least one
 * answers with others (or CAA forbids the CA); otherwise `not propagated` (some answer, some do not yet).
 */
export async function verifyDomain(domain: string, expected: readonly string[], resolvers: readonly ResolverSpec[], caaIdentity: string): Promise<DomainReport> {
  const wildcard = domain.startsWith('*.');
  const queried = wildcard ? `nexus-check-${randomBytes(4).toString('hex')}.${domain.slice(2)}` : domain;
  const expectedSet = new Set(expected);
  const notes: string[] = [];
  const answers: ResolverAnswer[] = [];
  for (const spec of resolvers) {
    const resolver = resolverFor(spec);
    const { addresses, absent, error } = await addressesOf(resolver, queried);
    if (error) answers.push({ resolver: spec.name, addresses, verdict: 'error', detail: error });
    else if (absent) answers.push({ resolver: spec.name, addresses, verdict: 'missing', detail: 'no A/AAAA record' });
    else {
      const unexpected = addresses.filter((address) => !expectedSet.has(address));
      answers.push({ resolver: spec.name, addresses, verdict: unexpected.length === 0 ? 'ok' : 'wrong', detail: unexpected.length ? `unexpected ${unexpected.join(', ')}` : undefined });
      if (addresses.some((address) => isIPv4(address) && CLOUDFLARE.check(address, 'ipv4'))) notes.push(`${spec.name}: answers with Cloudflare proxy addresses (orange cloud): the CA and the checks reach Cloudflare, not the host`);
    }
  }
  const first = resolverFor(resolvers[0] ?? { name: 'system' });
  const cname = await first.resolveCname(queried).catch(() => []);
  if (cname.length > 0) notes.push(`${queried} is a CNAME to ${cname.join(', ')}`);
  const caa = await caaOf(first, wildcard ? domain.slice(2) : domain, caaIdentity, wildcard);
  if (!caa.allows) notes.push(`CAA at ${caa.name ?? domain} does not allow ${caaIdentity}`);
  const verdicts = answers.map((answer) => answer.verdict);
  const verdict: DomainVerdict =
    !caa.allows || (verdicts.includes('wrong') && !verdicts.includes('ok')) ? 'wrong' : verdicts.length > 0 && verdicts.every((value) => value === 'ok') ? 'ok' : 'not propagated';
  return { domain, queried, expected: [...expected], verdict, answers, caa, notes };
}

/** The addresses a target's hosts should be reached at: IPs as written, names resolved by the system. */
export async function expectedAddresses(hosts: readonly string[]): Promise<string[]> {
  const addresses: string[] = [];
  for (const host of hosts) {
    if (isIPv4(host) || isIPv6(host)) addresses.push(host);
    else addresses.push(...(await dns.lookup(host, { all: true })).map((entry) => entry.address));
  }
  return addresses;
}

/** Where a name was found: the address and the resolver that gave it, or why no resolver did. */
export type ResolvedName = { address: string; resolver: string } | { address?: undefined; failures: string[] };

/**
 * The first address any resolver gives for a name, asking them in order (as `dns verify` lists them): `system`
 * through getaddrinfo (resolv.conf and /etc/hosts, as browsers resolve), the others directly.
 */
export async function resolveFirst(name: string, resolvers: readonly ResolverSpec[]): Promise<ResolvedName> {
  const failures: string[] = [];
  for (const spec of resolvers) {
    if (!spec.servers) {
      const found = await dns.lookup(name).catch((error: NodeJS.ErrnoException) => ({ error: error.code ?? error.message }));
      if ('address' in found) return { address: found.address, resolver: spec.name };
      failures.push(`${spec.name}: ${found.error}`);
      continue;
    }
    const { addresses, error } = await addressesOf(resolverFor(spec), name);
    const address = addresses.find((entry) => isIPv4(entry)) ?? addresses[0];
    if (address) return { address, resolver: spec.name };
    failures.push(`${spec.name}: ${error ?? 'no A/AAAA record'}`);
  }
  return { failures };
}
