import type { DeployTarget } from '../deploy-config/load';
import type { TargetConfig } from '../deploy-config/schema';
import { NexusError } from '../errors';
import type { Executor } from '../exec/executor';
import { FILE_MISSING_STATUS, readFile } from '../remote/files';
import { endpoint, loadBalancerSite, rotationOf } from '../remote/lb-site';
import { waitForReadiness } from '../remote/readiness';
import { HostDeployer } from './host-deployer';

export type NginxBalancerConfig = Extract<NonNullable<TargetConfig['load_balancer']>, { type: 'nginx' }>;

/** An app host as the load balancer sees it. */
export interface UpstreamState {
  address: string;
  /** `out`: taken out for a deploy (or never deployed); nginx sends it nothing. */
  rotation: 'in' | 'out';
  /** The host's readiness endpoint asked from the balancer's host, over the network the upstream uses. */
  ready: boolean;
  /** What the readiness endpoint answered (or why nothing did). */
  detail: string;
}

const outOf = (rotation: ReadonlyMap<string, 'in' | 'out'>) => [...rotation].filter(([, state]) => state === 'out').map(([address]) => address);

/**
 * The nginx load balancer of a target, on its own host: which app hosts are in its upstream (the site file it
 * serves is the record), taking one out or putting it back (graceful reloads: requests in flight finish), and
 * each host's readiness as the balancer sees it.
 */
export class NginxLoadBalancer {
  /** The balancer's host, for what it shares with app hosts: running commands, its certificate, its nginx site. */
  readonly host: HostDeployer;

  constructor(
    readonly exec: Executor,
    private readonly deploy: DeployTarget,
    readonly config: NginxBalancerConfig,
  ) {
    this.host = new HostDeployer(exec, deploy, async (_port, tls) => loadBalancerSite(deploy, config, outOf(await this.rotation()), { tls }));
  }

  /** In or out of rotation for each app host; a host the site does not list yet (never deployed) is out. */
  async rotation(): Promise<Map<string, 'in' | 'out'>> {
    const result = await this.exec.run(readFile(this.host.layout.site));
    if (result.code !== 0 && result.code !== FILE_MISSING_STATUS) {
      throw new NexusError(`${this.exec.host}: could not read the load balancer's site ${this.host.layout.site}: ${result.stderr.trim()}`, { code: 'LB_FAILED' });
    }
    const listed = result.code === 0 ? rotationOf(result.stdout) : new Map<string, 'in' | 'out'>();
    return new Map(this.deploy.target.hosts.map((host) => [host.address, listed.get(host.address) ?? 'out']));
  }

  /** Takes an app host out of the upstream, or puts it back: the site is rendered, tested with `nginx -t`, reloaded. */
  async setRotation(address: string, state: 'in' | 'out'): Promise<void> {
    const rotation = await this.rotation();
    rotation.set(address, state);
    await this.host.installSite(loadBalancerSite(this.deploy, this.config, outOf(rotation), { tls: await this.host.hasCertificate() }));
  }

  /** Seconds a deploy waits for a host to be ready as the balancer sees it (the target's health timeout). */
  get readinessTimeout(): number {
    return this.deploy.target.health.timeout;
  }

  /** Waits for an app host's readiness endpoint as the balancer reaches it; undefined when ready, else its last answer. */
  waitUntilReady(address: string, timeoutSeconds = this.deploy.target.health.timeout): Promise<string | undefined> {
    return hostReadiness(this.exec, this.deploy, address, timeoutSeconds);
  }

  /** Every app host: in rotation or not, and ready or not as the balancer sees it now. */
  async status(): Promise<UpstreamState[]> {
    const rotation = await this.rotation();
    return upstreamStates(this.exec, this.deploy, (address) => rotation.get(address) ?? 'out');
  }
}

/** Each app host's readiness asked once from `from`, with its rotation as the caller knows it. */
export function upstreamStates(from: Executor, deploy: DeployTarget, rotationOf: (address: string) => 'in' | 'out'): Promise<UpstreamState[]> {
  return Promise.all(
    deploy.target.hosts.map(async (host) => {
      const failure = await hostReadiness(from, deploy, host.address, 0);
      return { address: host.address, rotation: rotationOf(host.address), ready: failure === undefined, detail: failure ?? 'ready' };
    }),
  );
}

/**
 * An app host's readiness endpoint (through its nginx, as a balancer reaches it), asked from another host until
 * it answers 2xx or `timeoutSeconds` pass (0: once). @returns undefined when ready, else the last answer
 */
export async function hostReadiness(from: Executor, deploy: DeployTarget, address: string, timeoutSeconds: number): Promise<string | undefined> {
  const url = `http://${endpoint(address, deploy.target.nginx.http_port)}${deploy.target.health.path}`;
  const result = await from.run(waitForReadiness(url, timeoutSeconds));
  return result.code === 0 ? undefined : (result.stdout || result.stderr).trim() || `exit ${result.code}`;
}
