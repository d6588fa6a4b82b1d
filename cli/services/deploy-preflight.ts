import type { DeployTarget } from '../deploy-config/load';
import { NexusError } from '../errors';
import type { Executor } from '../exec/executor';
import { ExitCode } from '../exit-codes';
import { withDockerHost } from '../remote/docker';
import { sharedResources } from '../remote/layout';
import { firstPresentImage, httpReachable, tcpReachable, tcpReachableFromContainer } from '../remote/preflight';

/** npm's own registry: what the Dockerfile's `npm ci` uses unless the NPM_REGISTRY build argument says otherwise. */
export const DEFAULT_NPM_REGISTRY = 'https://registry.npmjs.org/';

/** The registry a build's `npm ci` uses: the Dockerfile passes the NPM_REGISTRY build argument to npm as --registry. */
export function npmRegistry(deploy: DeployTarget): string {
  return deploy.target.build.args.NPM_REGISTRY || DEFAULT_NPM_REGISTRY;
}

/** The external database's host and port from DATABASE_URL; undefined for an on-host database or a socket path. */
export function externalDatabase(deploy: DeployTarget): { host: string; port: number } | undefined {
  if (deploy.target.database !== 'external') return undefined;
  try {
    const url = new URL(deploy.secrets.get('DATABASE_URL')?.reveal() ?? '');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!host || url.searchParams.get('host')?.startsWith('/')) return undefined;
    return { host, port: Number(url.port || 5432) };
  } catch {
    return undefined;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

/**
 * What a deploy needs from a host that nexus can check before it builds or changes anything there, each
 * failure naming its fix: the npm registry for a build on the host, and an external database reachable from
 * the host (backups run there) and from the app's containers (ufw blocks containers from the host's ports).
 */
export class DeployPreflight {
  constructor(
    private readonly exec: Executor,
    private readonly deploy: DeployTarget,
  ) {}

  /** `build.on: host` runs the Dockerfile's `npm ci` there: the registry must answer from the host. */
  async registry(): Promise<void> {
    const registry = npmRegistry(this.deploy);
    const result = await this.exec.run(httpReachable(new URL('-/ping', registry.endsWith('/') ? registry : `${registry}/`).toString()));
    if (result.code === 0) return;
    throw new NexusError(`${this.exec.host} cannot reach the npm registry ${registry}: ${lastLine(result.stderr || result.stdout) || `exit ${result.code}`}. build.on: host builds the image there, and its \`npm ci\` needs the registry.`, {
      code: 'REGISTRY_UNREACHABLE',
      exitCode: ExitCode.FAILURE,
      suggestions: [
        'let the host reach the registry over HTTPS, or set build.args.NPM_REGISTRY in nexus.yml to a mirror it reaches (docs/deploy.md §11, air-gapped hosts)',
        'or build here and upload the image: build.on: local',
      ],
    });
  }

  /**
   * An external database, from the host and from a container on the app's network (from the first of
   * the `candidates` the host has; none: the container check is left to `databaseFromContainer` once the release's
   * image is there). @returns whether the container check ran
   */
  async database(candidates: () => Promise<string[]>): Promise<boolean> {
    const database = externalDatabase(this.deploy);
    if (!database) return true;
    const fromHost = await this.exec.run(tcpReachable(database.host, database.port));
    if (fromHost.code !== 0) throw this.unreachable(database, 'the host', fromHost.stdout || fromHost.stderr);
    const images = await candidates();
    const present = images.length > 0 ? await this.exec.run(withDockerHost(firstPresentImage(images), this.deploy.target.docker_host)) : undefined;
    const image = present?.code === 0 ? present.stdout.trim() : '';
    if (!image) return false;
    await this.databaseFromContainer(image);
    return true;
  }

  async databaseFromContainer(image: string): Promise<void> {
    const database = externalDatabase(this.deploy);
    if (!database) return;
    const { network } = sharedResources(this.deploy.app.name);
    const result = await this.exec.run(withDockerHost(tcpReachableFromContainer(image, network, database.host, database.port), this.deploy.target.docker_host));
    if (result.code !== 0) throw this.unreachable(database, `a container on ${network}`, result.stdout || result.stderr);
  }

  private unreachable(database: { host: string; port: number }, from: string, answer: string): NexusError {
    const local = /^(localhost|127\.|::1$)/.test(database.host);
    return new NexusError(`${this.exec.host}: the database ${database.host}:${database.port} (DATABASE_URL) cannot be reached from ${from}: ${lastLine(answer) || 'no answer'}.`, {
      code: 'DATABASE_UNREACHABLE',
      exitCode: ExitCode.DATABASE_UNAVAILABLE,
      details: { host: database.host, port: database.port, from },
      suggestions: [
        ...(local ? [`${database.host} in DATABASE_URL is the container itself for the app: use an address of the database host that containers reach (for PostgreSQL on this host, its Docker network gateway, e.g. 172.17.0.1)`] : []),
        'a PostgreSQL on the same host must listen on that address (listen_addresses), allow the containers in pg_hba.conf, and be let through the firewall: sudo ufw allow from 172.16.0.0/12 to any port 5432 proto tcp',
        'nothing was changed; see docs/deploy.md §4 (external database on the same host)',
      ],
    });
  }
}
