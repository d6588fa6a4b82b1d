import { NexusError } from '../../errors';
import { ExitCode } from '../../exit-codes';
import { NginxLoadBalancer, upstreamStates, type UpstreamState } from '../../services/load-balancer';
import { TargetCommand, targetFlags } from '../../target-command';

export interface LoadBalancerStatus {
  target: string;
  type: 'nginx' | 'external';
  /** The balancer's host (nginx). */
  host?: string;
  upstream: UpstreamState[];
}

export default class LbStatus extends TargetCommand<LoadBalancerStatus> {
  static override summary = "Show each app host's state in the target's load balancer: in or out of rotation, ready or not";
  static override description = `With \`load_balancer: { type: nginx }\`: reads the balancer's site for which app hosts are in its upstream (a deploy takes each host out while it changes release), and asks each host's readiness endpoint from the balancer's host, as its upstream reaches it. With \`type: external\`: asks each host's readiness endpoint from the first app host, the endpoint to point the balancer's health check at.

Exits ${ExitCode.HEALTH_CHECK_FAILED} when a host is out of rotation or not ready (the table says which), so CI can wait on it.`;

  static override examples = ['<%= config.bin %> lb status --target production', '<%= config.bin %> lb status -t production --json'];
  static override flags = targetFlags;

  async run(): Promise<LoadBalancerStatus> {
    const { flags } = await this.parse(LbStatus);
    const deploy = this.loadTarget(flags);
    const config = deploy.target.load_balancer;
    if (!config) {
      throw new NexusError(`${deploy.name} has no load balancer: each host serves on its own (DNS round robin).`, {
        code: 'NO_LOAD_BALANCER',
        exitCode: ExitCode.USAGE,
        suggestions: ['add `load_balancer: { type: nginx, host: … }` or `{ type: external, trusted: […] }` to the target (docs/scaling.md)'],
      });
    }
    // An external balancer's rotation is its own: each host's readiness as the network sees it (from the first app host).
    const upstream = config.type === 'nginx' ? await new NginxLoadBalancer(await this.connect(deploy, config.host), deploy, config).status() : await upstreamStates(await this.connect(deploy), deploy, () => 'in');
    const status: LoadBalancerStatus = { target: deploy.name, type: config.type, host: config.type === 'nginx' ? config.host.address : undefined, upstream };
    this.log(config.type === 'nginx' ? `${deploy.name}: nginx load balancer on ${config.host.address}` : `${deploy.name}: external load balancer; health check each host at http://<host>:${deploy.target.nginx.http_port}${deploy.target.health.path}`);
    const width = Math.max(...upstream.map((state) => state.address.length));
    for (const state of upstream) {
      const rotation = config.type === 'nginx' ? (state.rotation === 'in' ? 'in rotation' : 'OUT').padEnd(13) : '';
      this.log(`  ${state.address.padEnd(width)}  ${rotation}${state.ready ? 'ready' : `NOT READY: ${state.detail.split('\n')[0]?.slice(0, 160)}`}`);
    }
    const attention = upstream.filter((state) => state.rotation === 'out' || !state.ready);
    if (attention.length > 0) {
      throw new NexusError(`${attention.map((state) => state.address).join(', ')} ${attention.length > 1 ? 'are' : 'is'} not serving through the load balancer.`, {
        code: 'UPSTREAM_DEGRADED',
        exitCode: ExitCode.HEALTH_CHECK_FAILED,
        details: status,
        suggestions: ['`nexus deploy --target <target>` puts a host taken out by a stopped deploy back once it is ready; `nexus logs app --host <host>` shows why a host is not'],
      });
    }
    return status;
  }
}
