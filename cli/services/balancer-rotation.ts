import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { NginxLoadBalancer } from './load-balancer';
import type { Step } from './progress';

/** Where a host of a rolling deploy stands in the nginx load balancer's upstream (undefined: never taken out). */
export interface InRotation {
  host: string;
  rotation?: 'in' | 'out';
}

/** Out of the balancer's upstream before the release changes; back in once the balancer sees the host ready. */
export function rotationSteps(balancer: NginxLoadBalancer, address: string, outcome: InRotation): { out: Step[]; back: Step[] } {
  const timeout = balancer.readinessTimeout;
  return {
    out: [{ title: `Take ${address} out of the load balancer`, run: async () => (await balancer.setRotation(address, 'out'), (outcome.rotation = 'out')) }],
    back: [
      {
        title: `Wait for ${address} to be ready through the load balancer (up to ${timeout}s)`,
        run: async () => {
          const failure = await balancer.waitUntilReady(address);
          if (failure !== undefined) throw new NexusError(`${address} is not ready as the load balancer ${balancer.exec.host} sees it: ${failure}`, { code: 'HEALTH_CHECK_FAILED', exitCode: ExitCode.HEALTH_CHECK_FAILED });
        },
      },
      { title: `Put ${address} back in the load balancer`, run: async () => (await balancer.setRotation(address, 'in'), (outcome.rotation = 'in')) },
    ],
  };
}

/** After a failure on a host taken out: back in rotation when its previous release still answers, else left out. */
export async function bringBackIfServing(balancer: NginxLoadBalancer, address: string, outcome: InRotation, note: (message: string) => void): Promise<void> {
  try {
    if ((await balancer.waitUntilReady(address, 5)) !== undefined) return;
    await balancer.setRotation(address, 'in');
    outcome.rotation = 'in';
  } catch (error) {
    note(`Could not put ${address} back in the load balancer: ${(error as Error).message}`);
  }
}

/** What a stopped roll's error says about a host it had taken out of the balancer. */
export function rotationNote(outcome: InRotation): string {
  if (outcome.rotation === undefined) return '';
  return outcome.rotation === 'in' ? `\n${outcome.host} is back in the load balancer, serving its previous release.` : `\n${outcome.host} stays out of the load balancer: it does not answer its readiness check.`;
}
