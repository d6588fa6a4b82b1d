import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiMetricsFor } from '../deploy-config/monitoring';
import type { TargetConfig } from '../deploy-config/schema';
import { packageRoot } from '../package-root';
import { HostLayout } from './layout';

export interface NginxSite {
  app: string;
  target: string;
  /** The first is canonical: HTTP and the other names redirect there. */
  domains: readonly string[];
  /** The loopback port of the release colour that should serve. */
  upstreamPort: number;
  webroot: string;
  /** Where the nexus snippets are installed (`/etc/nginx` on a host). */
  nginxDir: string;
  httpPort: number;
  httpsPort: number;
  /** Without a certificate yet, the site serves the app over HTTP (until `nexus ssl issue`). */
  certificate?: { fullchain: string; key: string };
  /** client_max_body_size: the API's largest accepted body (image uploads), e.g. "6m". */
  bodyLimit: string;
  ipv6: boolean;
  /** The upstream's `server` entries when they are not the colour's loopback port (a load balancer's app hosts). */
  upstreamServers?: readonly string[];
  /**
   * The addresses of a load balancer in front: nginx takes the client's address from its X-Forwarded-For
   * (so limits are per client, not per balancer) and passes on the scheme the balancer was asked with.
   */
  behind?: { trusted: readonly string[] };
  /** monitoring.api_metrics for this host: a listener of its own that passes `/metrics` to the app, for Prometheus. */
  metrics?: { listen: string; allowFrom: readonly string[] };
}

/** Auth routes on both mounts, under the nginx rate-limit zone. */
const AUTH_ROUTES = '^/api/v1/(auth|users)/(login|register|token/refresh|password/reset(/confirm)?)/?$';

function proxyLocations(site: NginxSite): string {
  // Behind a balancer this nginx is asked over plain HTTP: the scheme the client used is the balancer's word.
  const proxy = `include ${site.nginxDir}/snippets/nexus-proxy.conf;
    proxy_set_header X-Forwarded-Proto ${site.behind ? '$http_x_forwarded_proto' : '$scheme'};
    proxy_pass http://${site.app}_app;`;
  const realIp = site.behind ? `\n${[...site.behind.trusted.map((address) => `  set_real_ip_from ${address};`), '  real_ip_header X-Forwarded-For;'].join('\n')}\n` : '';
  return `${realIp}
  location ~ ${AUTH_ROUTES} {
    limit_req zone=nexus_auth burst=10 nodelay;
    ${proxy}
  }

  location / {
    ${proxy}
  }

  # The API's Prometheus metrics are for the private network (METRICS_PORT, or a scraper on the host), never the
  # public site: any spelling (nginx has decoded and merged the path already), answered as the API's own 404.
  location ~* ^/metrics(/|$) {
    include ${site.nginxDir}/snippets/nexus-security-headers.conf;
    default_type application/json;
    return 404 '{"detail":"Not found.","code":"not_found"}';
  }

  # The app is restarting or down: a JSON answer like the API's own 503, with nginx's headers.
  error_page 502 503 504 = @unavailable;
  location @unavailable {
    include ${site.nginxDir}/snippets/nexus-security-headers.conf;
    default_type application/json;
    add_header Retry-After 5 always;
    return 503 '{"detail":"Service temporarily unavailable.","code":"service_unavailable"}';
  }`;
}

function listen(port: number, ipv6: boolean, extra = ''): string {
  return [`listen ${port}${extra};`, ...(ipv6 ? [`listen [::]:${port}${extra};`] : [])].join('\n  ');
}

/**
 * An nginx regex for the hosts the wildcard names cover: one label deep, as a certificate's wildcard is, so
 * that such a host is served (and redirected to HTTPS) under its own name rather than the canonical one.
 */
function wildcardHosts(domains: readonly string[]): string | undefined {
  const bases = domains.filter((name) => name.startsWith('*.')).map((name) => name.slice(2).replace(/\./g, '\\.'));
  return bases.length > 0 ? `[a-z0-9-]+\\.(${bases.join('|')})` : undefined;
}

/** The HTTP server's redirect to HTTPS: to the host asked for when a wildcard covers it (never `https://*.…`), else to the canonical name. */
function httpsRedirect(canonical: string, wildcard: string | undefined, httpsSuffix: string): string {
  const keepHost = wildcard ? `\n    if ($host ~* "^${wildcard}$") {\n      return 301 https://$host${httpsSuffix}$request_uri;\n    }` : '';
  return `\n  location / {${keepHost}\n    return 301 https://${canonical}${httpsSuffix}$request_uri;\n  }`;
}

/**
 * The API's metrics on a listener of their own (loopback or a private address; the configuration refuses others):
 * `/metrics` only, from the allowed ranges only (ufw says the same), to whichever colour serves. The scraper sends
 * METRICS_TOKEN as a bearer token, which nginx passes on and the API checks: nginx never holds the token.
 */
function metricsServer(site: NginxSite): string {
  if (!site.metrics) return '';
  const allowed = site.metrics.allowFrom.length > 0 ? site.metrics.allowFrom : ['127.0.0.0/8', '::1'];
  return `
# The API's Prometheus metrics (monitoring.api_metrics in nexus.yml): /metrics only, with the METRICS_TOKEN bearer token.
server {
  listen ${site.metrics.listen};
  server_name _;
  include ${site.nginxDir}/snippets/nexus-security-headers.conf;

  location = /metrics {
${allowed.map((range) => `    allow ${range};`).join('\n')}
    deny all;
    proxy_set_header Host $host;
    proxy_set_header Authorization $http_authorization;
    proxy_pass http://${site.app}_app;
  }

  location / {
    default_type application/json;
    return 404 '{"detail":"Not found: metrics are at /metrics.","code":"not_found"}';
  }
}
`;
}

/** The site file for a target, from templates/nginx-site.conf. Pure: the same input gives the same text. */
export function renderNginxSite(site: NginxSite, template = readFileSync(join(packageRoot(), 'templates', 'nginx-site.conf'), 'utf8')): string {
  const canonical = site.domains[0] as string;
  if (canonical.startsWith('*.')) throw new Error(`the canonical (first) domain cannot be a wildcard: ${canonical}`);
  const wildcard = wildcardHosts(site.domains);
  const httpsSuffix = site.httpsPort === 443 ? '' : `:${site.httpsPort}`;
  const httpBody = site.certificate
    ? httpsRedirect(canonical, wildcard, httpsSuffix)
    : `\n  client_max_body_size ${site.bodyLimit};\n  limit_conn nexus_conn 100;${proxyLocations(site)}`;
  // Other names go to the canonical one; hosts under a wildcard are served as they are.
  const otherNames = wildcard ? `$host !~* "^(${canonical.replace(/\./g, '\\.')}|${wildcard})$"` : `$host != ${canonical}`;
  const httpsServer = site.certificate
    ? `
server {
  ${listen(site.httpsPort, site.ipv6, ' ssl http2')}
  server_name ${site.domains.join(' ')};
  ssl_certificate ${site.certificate.fullchain};
  ssl_certificate_key ${site.certificate.key};
  include ${site.nginxDir}/snippets/nexus-tls.conf;
  gzip on;
  client_max_body_size ${site.bodyLimit};
  limit_conn nexus_conn 100;

  # Other names of the site answer with the canonical one.
  if (${otherNames}) {
    return 301 https://${canonical}${httpsSuffix}$request_uri;
  }
${proxyLocations(site)}
}
`
    : '';
  const values: Record<string, string> = {
    app: site.app,
    target: site.target,
    upstreamServers: (site.upstreamServers ?? [`server 127.0.0.1:${site.upstreamPort} max_fails=0;`]).map((line) => `  ${line}`).join('\n'),
    upstreamNote: site.upstreamServers ? 'the app hosts' : `the release colour now serving, on 127.0.0.1:${site.upstreamPort}`,
    httpPort: String(site.httpPort),
    serverNames: site.domains.join(' '),
    nginxDir: site.nginxDir,
    webroot: site.webroot,
    httpBody,
    httpsServer,
    metricsServer: metricsServer(site),
  };
  return template
    .replace(/ {2}listen \{\{httpPort\}\};\n {2}listen \[::\]:\{\{httpPort\}\};/, `  ${listen(site.httpPort, site.ipv6)}`)
    .replace(/\{\{(\w+)\}\}/g, (_match, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`templates/nginx-site.conf uses an unknown placeholder {{${name}}}`);
      return value;
    });
}

/** The site of a target as its nexus.yml describes it, for an upstream port, with TLS when a certificate is given. */
export function targetSite(
  deploy: { name: string; app: { name: string }; target: TargetConfig },
  upstreamPort: number,
  options: { tls?: boolean; nginxDir?: string; httpPort?: number; httpsPort?: number; bodyLimit?: string; /** The app host the site is for (its own metrics address). */ host?: string } = {},
): string {
  const { target } = deploy;
  const layout = HostLayout.of(target);
  const certificate = layout.certificates(target.domains[0] as string);
  return renderNginxSite({
    app: deploy.app.name,
    target: deploy.name,
    domains: target.domains,
    upstreamPort,
    webroot: layout.webroot,
    nginxDir: options.nginxDir ?? target.nginx.dir,
    httpPort: options.httpPort ?? target.nginx.http_port,
    httpsPort: options.httpsPort ?? target.nginx.https_port,
    // Behind a load balancer TLS ends there: a certificate left from single-host days must not make this host redirect it.
    certificate: options.tls && !target.load_balancer ? { fullchain: certificate.fullchain, key: certificate.key } : undefined,
    bodyLimit: options.bodyLimit ?? target.nginx.body_limit,
    ipv6: target.nginx.ipv6,
    behind: trustedBalancer(target),
    metrics: apiMetricsFor(target.monitoring, options.host),
  });
}

/** The load balancer in front of a target's hosts, as the addresses their nginx trusts for the client's. */
function trustedBalancer(target: TargetConfig): NginxSite['behind'] {
  const balancer = target.load_balancer;
  if (!balancer) return undefined;
  return { trusted: balancer.type === 'nginx' ? [balancer.host.address] : balancer.trusted };
}
