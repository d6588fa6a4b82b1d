import { Flags } from '@oclif/core';
import { TargetCommand, targetFlags } from '../../target-command';
import { DeployLock } from '../../services/deploy-lock';
import type { LockDetails } from '../../remote/lock';

export default class LockAcquire extends TargetCommand<{ lock: LockDetails; takenOver?: LockDetails }> {
  static override summary = 'Hold the deploy lock of a target (e.g. during maintenance)';
  static override description = 'Deploys wait for nobody: while you hold the lock they fail with exit code 10. Release it with `nexus lock release`; it expires after --ttl seconds anyway.';
  static override examples = ['<%= config.bin %> lock acquire --target production --reason "database maintenance" --ttl 3600'];
  static override flags = {
    ...targetFlags,
    reason: Flags.string({ description: 'Why, for whoever finds the lock.', required: true }),
    ttl: Flags.integer({ description: 'Seconds until the lock expires. Default: lock_ttl from nexus.yml.', min: 60, max: 7 * 24 * 3600 }),
  };

  async run(): Promise<{ lock: LockDetails; takenOver?: LockDetails }> {
    const { flags } = await this.parse(LockAcquire);
    const target = this.loadTarget(flags);
    const lock = new DeployLock(await this.connect(target), target.target.root);
    const result = await lock.acquire(DeployLock.newHolder(flags.reason), flags.ttl ?? target.target.lock_ttl);
    if (result.takenOver) this.note(`Took over an expired lock held by ${result.takenOver.owner} ("${result.takenOver.reason}").`);
    this.log(`Locked ${target.name} until ${new Date(result.details.expires_at * 1000).toISOString()}.`);
    return { lock: result.details, takenOver: result.takenOver };
  }
}
