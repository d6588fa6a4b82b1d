import { TargetCommand, targetFlags } from '../../target-command';
import { DeployLock } from '../../services/deploy-lock';
import type { LockDetails } from '../../remote/lock';

export default class LockRelease extends TargetCommand<{ released: boolean; lock?: LockDetails }> {
  static override summary = "Release a target's deploy lock, whoever holds it";
  static override description =
    'For a lock left by a job that died before its expiry. Releasing a lock that a running deploy holds lets another deploy start beside it: check `nexus lock status` first.';
  static override examples = ['<%= config.bin %> lock release --target production'];
  static override flags = targetFlags;

  async run(): Promise<{ released: boolean; lock?: LockDetails }> {
    const { flags } = await this.parse(LockRelease);
    const target = this.loadTarget(flags);
    const released = await new DeployLock(await this.connect(target), target.target.root).release(undefined);
    this.log(released ? `Released the lock ${released.owner} held ("${released.reason}").` : `${target.name}: not locked; nothing to release.`);
    return released ? { released: true, lock: released } : { released: false };
  }
}
