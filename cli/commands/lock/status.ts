import { TargetCommand, targetFlags } from '../../target-command';
import { DeployLock } from '../../services/deploy-lock';
import type { LockDetails } from '../../remote/lock';

export default class LockStatus extends TargetCommand<{ locked: boolean; lock?: LockDetails }> {
  static override summary = 'Show who holds the deploy lock of a target';
  static override description = 'The lock lives on the first host of the target. Exit code 0 whether it is held or not; --json says which.';
  static override examples = ['<%= config.bin %> lock status --target production', '<%= config.bin %> lock status -t staging --json'];
  static override flags = targetFlags;

  async run(): Promise<{ locked: boolean; lock?: LockDetails }> {
    const { flags } = await this.parse(LockStatus);
    const target = this.loadTarget(flags);
    const lock = await new DeployLock(await this.connect(target), target.target.root).status();
    if (!lock) {
      this.log(`${target.name}: not locked.`);
      return { locked: false };
    }
    const expired = lock.expires_at * 1000 < Date.now();
    this.log(`${target.name}: locked by ${lock.owner} since ${new Date(lock.acquired_at * 1000).toISOString()}: "${lock.reason}" (${expired ? 'expired, the next deploy takes it over' : `expires ${new Date(lock.expires_at * 1000).toISOString()}`}).`);
    return { locked: true, lock };
  }
}
