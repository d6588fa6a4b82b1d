import { getServers } from 'node:dns';
import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { DeployTarget } from '../deploy-config/load';
import { expectedAddresses, verifyDomain, type DomainReport, type ResolverSpec } from './dns-verifier';
import type { HostDeployer } from './host-deployer';
import { checkReachability, type Reachability } from './reachability';

export interface DnsCheckReport {
  verdict: DomainReport['verdict'];
  /** The resolvers asked, in order: `system` with the servers of this machine's resolv.conf, then each given one. */
  resolvers: { name: string; servers: string[] }[];
  domains: (DomainReport & { reachability?: Reachability[] })[];
}

export interface DnsCheckPlan {
  domains: readonly string[];
  expected: readonly string[];
  resolvers: readonly ResolverSpec[];
  caaIdentity: string;
  /** Checks that the resolved addresses reach the host (the token round trip), when a host is known. */
  reach?: (domain: string, addresses: string[]) => Promise<Reachability[]>;
}

/** Resolvers from the target or flags: the system's first when asked for, then each address given. */
export function resolverSpecs(addresses: readonly string[], system: boolean): ResolverSpec[] {
  return [...(system ? [{ name: 'system' }] : []), ...addresses.map((address) => ({ name: address, servers: [address] }))];
}

/**
 * The plan for a target: its domains, the addresses they should resolve to (its hosts', or its nginx load
 * balancer's), its resolvers and CA, and the token round trip through `hosts` (whose webroots serve the site).
 */
export async function targetDnsPlan(deploy: DeployTarget, hosts: () => Promise<HostDeployer[]>, overrides: { resolvers?: string[]; system?: boolean } = {}): Promise<DnsCheckPlan> {
  const { target } = deploy;
  return {
    domains: target.domains,
    // Behind the nginx load balancer the names point at it, and it answers port 80.
    expected: await expectedAddresses(target.load_balancer?.type === 'nginx' ? [target.load_balancer.host.address] : target.hosts.map((host) => host.address)),
    resolvers: resolverSpecs(overrides.resolvers ?? target.dns.resolvers, target.dns.system && overrides.system !== false),
    caaIdentity: target.tls.caa_identity,
    reach: async (domain, addresses) => checkReachability(await hosts(), domain, addresses, { http: target.nginx.http_port, https: target.nginx.https_port }),
  };
}

export async function checkDns(plan: DnsCheckPlan): Promise<DnsCheckReport> {
  const domains: DnsCheckReport['domains'] = [];
  for (const domain of plan.domains) {
    const report: DnsCheckReport['domains'][number] = await verifyDomain(domain, plan.expected, plan.resolvers, plan.caaIdentity);
    if (report.verdict === 'ok' && plan.reach && !domain.startsWith('*.')) {
      const addresses = [...new Set(report.answers.flatMap((answer) => answer.addresses))];
      report.reachability = await plan.reach(domain, addresses);
      const failing = report.reachability.filter((entry) => entry.http !== 'ok');
      if (failing.length > 0) {
        report.verdict = 'wrong';
        report.notes.push(...failing.map((entry) => `${entry.address}: port 80 does not reach this host (${entry.http}${entry.detail ? `: ${entry.detail}` : ''})`));
      }
    }
    domains.push(report);
  }
  const verdicts = domains.map((domain) => domain.verdict);
  const verdict = verdicts.includes('wrong') ? 'wrong' : verdicts.includes('not propagated') ? 'not propagated' : 'ok';
  return { verdict, resolvers: askedResolvers(plan.resolvers), domains };
}

/** Which servers each resolver stands for: with no dns.resolvers, the public defaults are asked, so they are named. */
function askedResolvers(resolvers: readonly ResolverSpec[]): DnsCheckReport['resolvers'] {
  return resolvers.map((spec) => ({ name: spec.name, servers: spec.servers ?? getServers() }));
}

/** One line naming the resolvers asked, e.g. `Asked: system (127.0.0.53), 1.1.1.1, 8.8.8.8`. */
export function askedLine(report: DnsCheckReport): string {
  const names = report.resolvers.map((resolver) => (resolver.name === 'system' ? `system (${resolver.servers.join(', ') || 'none configured'})` : resolver.name));
  return `Asked: ${names.join(', ') || 'no resolver'}`;
}

function describe(report: DnsCheckReport): string {
  return report.domains
    .filter((domain) => domain.verdict !== 'ok')
    .map((domain) => {
      const answers = domain.answers.map((answer) => `${answer.resolver}: ${answer.verdict}${answer.addresses.length ? ` (${answer.addresses.join(', ')})` : ''}${answer.detail ? ` ${answer.detail}` : ''}`);
      return [`${domain.domain}: ${domain.verdict} (expected ${domain.expected.join(', ')})`, ...answers.map((line) => `  ${line}`), ...domain.notes.map((note) => `  ${note}`)].join('\n');
    })
    .join('\n');
}

/** The report as an error with the exit code that tells "wait" (12) from "fix it" (13). */
export function dnsError(report: DnsCheckReport): NexusError | undefined {
  if (report.verdict === 'ok') return undefined;
  const wrong = report.verdict === 'wrong';
  return new NexusError(`DNS is ${wrong ? 'wrong' : 'not propagated yet'}:\n${describe(report)}\n${askedLine(report)}`, {
    code: wrong ? 'DNS_WRONG' : 'DNS_NOT_PROPAGATED',
    exitCode: wrong ? ExitCode.DNS_WRONG : ExitCode.DNS_NOT_PROPAGATED,
    details: report,
    suggestions: wrong ? ['point the A/AAAA records at the hosts (and let CAA allow the CA), then check again'] : ['wait and check again, or pass --wait'],
  });
}
