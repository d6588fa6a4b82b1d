import type { DeployTarget } from '../deploy-config/load';
import { NexusError } from '../errors';
import type { Executor } from '../exec/executor';
import { HostLayout } from '../remote/layout';
import { filesExist } from '../remote/files';
import { resolverSpecs } from './dns-check';
import { resolveFirst } from './dns-verifier';
import type { Connection } from './health-prober';

/** Where and how to check a target's site: its URL, the address to connect to, and why each was chosen. */
export interface TargetCheckPlan {
  url: string;
  httpPort: number;
  /** Undefined when no resolver knows the name and no --address was given: `failures` says what each answered. */
  address?: string;
  connection: Connection;
  failures?: string[];
}

/**
 * HTTPS or plain HTTP, by the rule deploys render the nginx site with: TLS exactly when the certificate of the
 * first domain is on the host (HostDeployer.switchNginx). The host is asked over SSH; when it cannot be reached,
 * HTTPS is assumed and the reason says so (a host with another key than the pinned one is an error).
 */
async function chooseScheme(deploy: DeployTarget, host: string, connect: () => Promise<Executor>): Promise<Pick<Connection, 'scheme' | 'schemeReason'>> {
  const certificate = HostLayout.of(deploy.target).certificates(deploy.target.domains[0] as string);
  let found: boolean;
  try {
    found = (await (await connect()).run(filesExist([certificate.fullchain, certificate.key]))).code === 0;
  } catch (error) {
    // A host that is not the pinned one is not asked anything, nor ignored.
    if (error instanceof NexusError && error.code === 'HOST_KEY_MISMATCH') throw error;
    return { scheme: 'https', schemeReason: `could not ask ${host} whether it has a certificate (${(error as Error).message.split('\n')[0]}); assuming HTTPS` };
  }
  return found
    ? { scheme: 'https', schemeReason: `the certificate is on ${host} (${certificate.dir})` }
    : { scheme: 'http', schemeReason: `no certificate on ${host} yet (${certificate.dir}): the site serves plain HTTP until \`nexus ssl issue\`` };
}

/** The hosts that serve a target's site: its nginx load balancer's first, then its app hosts. */
export function siteHosts(target: DeployTarget['target']): DeployTarget['target']['hosts'] {
  return target.load_balancer?.type === 'nginx' ? [target.load_balancer.host, ...target.hosts] : target.hosts;
}

/**
 * The check of a target: its first domain, on the ports of its nginx settings, over the scheme its host
 * serves, at `address` when given (--address), else at the first answer of the target's resolvers
 * (dns.system, then dns.resolvers: the ones `nexus dns verify` asks).
 */
export async function planTargetCheck(deploy: DeployTarget, options: { address?: string; httpPort?: number; connect: (host: string) => Promise<Executor> }): Promise<TargetCheckPlan> {
  const { target } = deploy;
  const domain = target.domains[0] as string;
  // The host asked about its certificate: the one --address names when it is one of the target's, else the one
  // serving the site (the nginx load balancer's, which holds the certificate, or the first app host).
  const chosen = siteHosts(target).find((entry) => entry.address === options.address) ?? siteHosts(target)[0];
  if (!chosen) throw new Error('a target lists at least one host (nexus.yml schema)');
  const host = chosen.address;
  const { scheme, schemeReason } = await chooseScheme(deploy, host, () => options.connect(host));
  const port = scheme === 'https' ? target.nginx.https_port : target.nginx.http_port;
  const url = `${scheme}://${domain}${port === (scheme === 'https' ? 443 : 80) ? '' : `:${port}`}/`;
  const httpPort = options.httpPort ?? target.nginx.http_port;
  if (options.address) return { url, httpPort, address: options.address, connection: { scheme, schemeReason, address: options.address, addressReason: '--address' } };
  const resolved = await resolveFirst(domain, resolverSpecs(target.dns.resolvers, target.dns.system));
  if (resolved.address === undefined) return { url, httpPort, connection: { scheme, schemeReason }, failures: resolved.failures };
  return { url, httpPort, address: resolved.address, connection: { scheme, schemeReason, address: resolved.address, addressReason: `resolver ${resolved.resolver}` } };
}
