import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { DeployTarget } from './load';
import { requiredSecrets } from './secrets';

/** The compose services' database, user and network name when PostgreSQL/Redis run on the host. */
export const ON_HOST_DATABASE = { user: 'nexus', database: 'nexus', host: 'postgres', port: 5432 } as const;
export const ON_HOST_REDIS_URL = 'redis://redis:6379/0';
/** The on-host read cache: a second Redis that evicts (see docker-compose.services.yml). */
export const ON_HOST_CACHE_REDIS_URL = 'redis://redis-cache:6379/0';

/**
 * The site's public origin as nginx serves it: the first (canonical) domain, over HTTPS once the host has its
 * certificate (the rule deploys render the nginx site with), with nginx's port when it is not the default.
 */
export function publicUrl(target: DeployTarget['target'], tls: boolean): string {
  const [scheme, port, standard] = tls ? ['https', target.nginx.https_port, 443] : ['http', target.nginx.http_port, 80];
  return `${scheme}://${target.domains[0] as string}${port === standard ? '' : `:${port}`}`;
}

/**
 * Everything the API and worker containers get: production defaults, then app.env, then the target's env, then
 * the secrets (and the URLs of on-host services). Later entries win. `tls`: whether the site serves HTTPS (the
 * certificate is on the host), for PUBLIC_URL.
 */
export function appEnvironment(deploy: DeployTarget, site: { tls: boolean } = { tls: false }): Map<string, string> {
  const env = new Map<string, string>([
    ['NODE_ENV', 'production'],
    // The proxies in front, each appending to X-Forwarded-For: the host's nginx, and the load balancer when
    // there is one. The API trusts exactly those hops, so a forged header cannot pass for the client.
    ['TRUST_PROXY', deploy.target.load_balancer ? '2' : '1'],
    // `*.example.com` is `.example.com` to the API: the domain and its subdomains (Django's rule).
    ['ALLOWED_HOSTS', deploy.target.domains.map((name) => (name.startsWith('*.') ? name.slice(1) : name)).join(',')],
    // Links in events and mail, made where no request names the host (the worker's deliveries).
    ['PUBLIC_URL', publicUrl(deploy.target, site.tls)],
  ]);
  for (const [key, value] of Object.entries(deploy.app.env)) env.set(key, value);
  for (const [key, value] of Object.entries(deploy.target.env)) env.set(key, value);
  if (deploy.target.database === 'host') {
    const password = encodeURIComponent(deploy.secrets.get('POSTGRES_PASSWORD')?.reveal() ?? '');
    const { user, host, port, database } = ON_HOST_DATABASE;
    env.set('DATABASE_URL', `postgres://${user}:${password}@${host}:${port}/${database}`);
  }
  if (deploy.target.redis === 'host') {
    env.set('REDIS_URL', ON_HOST_REDIS_URL);
    env.set('CACHE_REDIS_URL', ON_HOST_CACHE_REDIS_URL);
  }
  for (const [key, secret] of deploy.secrets) if (key !== 'POSTGRES_PASSWORD') env.set(key, secret.reveal());
  return env;
}

/**
 * Whether the containers get a setting at all, as appEnvironment gives it: from app.env, the target's env, or a
 * secret the target needs (whose value need not be loaded here, e.g. to ask the container for something it alone holds).
 */
export function appReceives(deploy: Pick<DeployTarget, 'app' | 'target'>, name: string): boolean {
  return name in deploy.app.env || name in deploy.target.env || requiredSecrets(deploy.app, deploy.target).some((secret) => secret.name === name);
}

/** The environment of the on-host PostgreSQL service (services.env). */
export function servicesEnvironment(deploy: DeployTarget): Map<string, string> {
  return new Map([
    ['POSTGRES_USER', ON_HOST_DATABASE.user],
    ['POSTGRES_DB', ON_HOST_DATABASE.database],
    ['POSTGRES_PASSWORD', deploy.secrets.get('POSTGRES_PASSWORD')?.reveal() ?? ''],
  ]);
}

/**
 * An env file compose reads with `env_file`. Compose v1 takes each value literally, while v2 expands `$`
 * and strips quotes unless the value is single-quoted, so the file is written for the flavour on the host.
 */
export function renderEnvFile(env: ReadonlyMap<string, string>, flavour: 'v1' | 'v2'): string {
  const lines: string[] = [];
  for (const [key, value] of env) {
    if (/[\r\n\0]/.test(value)) {
      throw new NexusError(`The value of ${key} spans several lines, which an env file cannot hold.`, { code: 'DEPLOY_CONFIG', exitCode: ExitCode.CONFIG });
    }
    if (flavour === 'v2' && value.includes("'")) {
      throw new NexusError(`The value of ${key} contains a single quote, which docker compose v2 env files cannot hold literally.`, { code: 'DEPLOY_CONFIG', exitCode: ExitCode.CONFIG });
    }
    lines.push(flavour === 'v2' ? `${key}='${value}'` : `${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}
