import type { TargetConfig } from '../deploy-config/schema';
import { HostLayout } from './layout';
import { renderNginxSite } from './nginx-site';

type NginxBalancer = Extract<NonNullable<TargetConfig['load_balancer']>, { type: 'nginx' }>;

/** `host:port`, with an IPv6 address in brackets. */
export const endpoint = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

/**
 * The load balancer's site: the same site as an app host's (ACME webroot, HTTPS with the certificate, limits,
 * headers), with the upstream spread over the app hosts' nginx. nginx takes a host out for `fail_timeout`
 * after `max_fails` failed requests (passive health checks) and retries an idempotent request on the next
 * host; a host taken out of rotation for a deploy is `down`. Pure: the same input gives the same text.
 */
export function loadBalancerSite(
  deploy: { name: string; app: { name: string }; target: TargetConfig },
  balancer: NginxBalancer,
  outOfRotation: readonly string[],
  options: { tls?: boolean; nginxDir?: string; httpPort?: number; httpsPort?: number } = {},
): string {
  const { target } = deploy;
  const layout = HostLayout.of(target);
  const certificate = layout.certificates(target.domains[0] as string);
  const port = target.nginx.http_port;
  return renderNginxSite({
    app: deploy.app.name,
    target: deploy.name,
    domains: target.domains,
    upstreamPort: port,
    upstreamServers: target.hosts.map(
      (host) => `server ${endpoint(host.address, port)} max_fails=${balancer.max_fails} fail_timeout=${balancer.fail_timeout}s${outOfRotation.includes(host.address) ? ' down' : ''};`,
    ),
    webroot: layout.webroot,
    nginxDir: options.nginxDir ?? target.nginx.dir,
    httpPort: options.httpPort ?? target.nginx.http_port,
    httpsPort: options.httpsPort ?? target.nginx.https_port,
    certificate: options.tls ? { fullchain: certificate.fullchain, key: certificate.key } : undefined,
    bodyLimit: target.nginx.body_limit,
    ipv6: target.nginx.ipv6,
  });
}

/** Which app hosts the balancer's site has in rotation, as `nexus lb status` reads them back from it. */
export function rotationOf(site: string): Map<string, 'in' | 'out'> {
  const rotation = new Map<string, 'in' | 'out'>();
  // Only the balancer's upstream entries carry fail_timeout (an app host's names its loopback port alone).
  for (const match of site.matchAll(/^\s*server \[?([0-9A-Za-z.:-]+?)\]?:\d+ max_fails=\d+ fail_timeout=\d+s( down)?;$/gm)) {
    rotation.set(match[1] as string, match[2] ? 'out' : 'in');
  }
  return rotation;
}
