import { Args, Flags } from '@oclif/core';
import { allowUnsignedFlag } from '../../backup-command';
import { loadBackupKeys } from '../../deploy-config/backup-keys';
import { RefusedError } from '../../errors';
import { NO_TRUST } from '../../services/backup-trust';
import { DeployFlow, type DeployReport } from '../../services/deploy-flow';
import { TargetCommand, targetFlags } from '../../target-command';

export default class DeployRollback extends TargetCommand<DeployReport> {
  static override summary = 'Serve an earlier release again, with no downtime';
  static override description = `Starts the release (by default the one before the current) beside the serving one, waits for its readiness, switches nginx and stops the other, host by host under the deploy lock. The image and release directory must still be on the hosts (keep_releases). Migrations are not reversed: schema changes must stay compatible with the previous release.

--with-data also puts the database back to the release's schema and data: the pre-migration backup that the first deploy after that release took is checked (its signature, by BACKUP_SIGNING_KEY or one of BACKUP_SIGNING_KEYS_PREVIOUS; --allow-unsigned to use an unsigned one anyway), restored into a new database and checked against its manifest before anything changes, then switched in once the release serves. Writes made since that backup are lost (the replaced database is kept under another name), so it needs --confirm with the target's name. It works for an external database and the on-host one (database: host) alike.`;

  static override examples = [
    '<%= config.bin %> deploy rollback --target production',
    '<%= config.bin %> deploy rollback 20261125T031500Z-3f9c2a1b7d4e -t production',
    '<%= config.bin %> deploy rollback -t production --with-data --confirm production',
  ];

  static override args = {
    release: Args.string({ description: 'Release id from `nexus deploy releases`. Default: the one before the current.' }),
  };

  static override flags = {
    ...targetFlags,
    'with-data': Flags.boolean({ description: "Also restore the database from the backup taken before the release's successor migrated." }),
    confirm: Flags.string({ description: 'With --with-data: the target name, to confirm that writes since the backup are discarded.', dependsOn: ['with-data'] }),
    'allow-unsigned': { ...allowUnsignedFlag['allow-unsigned'], dependsOn: ['with-data'] },
  };

  async run(): Promise<DeployReport> {
    const { args, flags } = await this.parse(DeployRollback);
    const withData = flags['with-data'];
    if (withData && flags.confirm !== flags.target) {
      throw new RefusedError(`--with-data replaces the database of ${flags.target} with an older backup (writes since are discarded): pass --confirm ${flags.target}.`, [`nexus deploy rollback --target ${flags.target} --with-data --confirm ${flags.target}`]);
    }
    const target = this.loadTarget(flags, { secrets: withData });
    const note = (message: string) => this.note(message);
    const backupTrust = withData ? { keys: loadBackupKeys(flags.dir), allowUnsigned: flags['allow-unsigned'], warn: note } : NO_TRUST;
    const flow = new DeployFlow({ deploy: target, connect: (host) => this.connect(target, host), progress: this.isInteractive() ? 'interactive' : 'plain', note, backupTrust });
    const report = await flow.rollback(args.release, { withData });
    for (const host of report.hosts) this.log(`${host.host}: ${host.status} ${report.release.id}${host.colour ? ` as ${host.colour} on port ${host.port}` : ''}`);
    if (report.data) this.log(`Database restored from ${report.data.id} (migration ${report.data.migration}); the replaced one is kept as ${report.data.previous}.`);
    return report;
  }
}
