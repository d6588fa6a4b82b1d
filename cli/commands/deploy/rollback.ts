import { Args } from '@oclif/core';
import { DeployFlow, type DeployReport } from '../../services/deploy-flow';
import { TargetCommand, targetFlags } from '../../target-command';

export default class DeployRollback extends TargetCommand<DeployReport> {
  static override summary = 'Serve an earlier release again, with no downtime';
  static override description =
    'Starts the release (by default the one before the current) beside the serving one, waits for its readiness, switches nginx and stops the other, host by host under the deploy lock. The image and release directory must still be on the hosts (keep_releases). Migrations are not reversed: schema changes must stay compatible with the previous release.';

  static override examples = ['<%= config.bin %> deploy rollback --target production', '<%= config.bin %> deploy rollback 20261125T031500Z-3f9c2a1b7d4e -t production'];

  static override args = {
    release: Args.string({ description: 'Release id from `nexus deploy releases`. Default: the one before the current.' }),
  };

  static override flags = targetFlags;

  async run(): Promise<DeployReport> {
    const { args, flags } = await this.parse(DeployRollback);
    const target = this.loadTarget(flags);
    const flow = new DeployFlow({ deploy: target, connect: (host) => this.connect(target, host), progress: this.isInteractive() ? 'interactive' : 'plain', note: (message) => this.note(message) });
    const report = await flow.rollback(args.release);
    for (const host of report.hosts) this.log(`${host.host}: ${host.status} ${report.release.id}${host.colour ? ` as ${host.colour} on port ${host.port}` : ''}`);
    return report;
  }
}
