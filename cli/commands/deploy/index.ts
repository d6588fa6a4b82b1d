import { Flags } from '@oclif/core';
import { assertAppConfig } from '../../deploy-config/app-settings';
import { loadBackupKeys } from '../../deploy-config/backup-keys';
import { DeployFlow, type DeployReport } from '../../services/deploy-flow';
import { TargetCommand, targetFlags } from '../../target-command';

export default class Deploy extends TargetCommand<DeployReport> {
  static override summary = 'Deploy the committed source to every host of a target, with no downtime';
  static override description = `Under the target's deploy lock, host by host: checks what the build and an external database need, uploads a new release directory, builds the image (on the host, or here with build.on: local; not when the host already has the image of the commit), backs up the database and runs migrations when any are pending, starts the release beside the serving one (blue/green), waits for its readiness endpoint, switches nginx (after nginx -t) and reloads it, then drains and stops the old release and prunes old releases.

First, the environment the release would get is checked with the API's own settings schema: a missing or invalid production setting (e.g. MAIL_TRANSPORT, PAYMENT_PROVIDER, a weak JWT_SECRET) exits 3 naming each one and where to set it, before anything is built or any host is touched.

A release that does not become ready is stopped and the previous one keeps serving; the command exits 11 with the app's last log lines. The roll stops at the first host that fails.`;

  static override examples = [
    '<%= config.bin %> deploy --target production',
    '<%= config.bin %> deploy -t staging --json',
    '<%= config.bin %> deploy -t production --image registry.example.com/shop:1.4.0',
  ];

  static override flags = {
    ...targetFlags,
    image: Flags.string({ description: 'Deploy this image (already on the hosts, or pullable) instead of building the source.' }),
    'skip-backup': Flags.boolean({ description: 'Do not back up the database before running migrations (the backup is signed with BACKUP_SIGNING_KEY, which it then needs).' }),
  };

  async run(): Promise<DeployReport> {
    const { flags } = await this.parse(Deploy);
    const target = this.loadTarget(flags, { secrets: true });
    // Before any build or connection: a setting the API refuses in production fails here, not after minutes.
    assertAppConfig(target);
    const note = (message: string) => this.note(message);
    // The backup keys stay out of target.secrets, which all go into the release's env.
    const backupTrust = { keys: loadBackupKeys(flags.dir), allowUnsigned: false, warn: note };
    const flow = new DeployFlow({ deploy: target, connect: (host) => this.connect(target, host), progress: this.isInteractive() ? 'interactive' : 'plain', note, backupTrust });
    const report = await flow.deploy({ image: flags.image, skipBackup: flags['skip-backup'] });
    for (const host of report.hosts) {
      const backup = host.backup ? `, backup ${host.backup.file} (${host.backup.bytes} bytes)` : '';
      const migrations = host.migrations?.length ? `, ${host.migrations.length} migration(s)` : '';
      this.log(`${host.host}: ${host.status} ${report.release.id}${host.colour ? ` as ${host.colour} on port ${host.port}` : ''}${migrations}${backup}`);
      if (host.pruned?.length) {
        const backups = host.prunedBackups?.length ? ` and their pre-migration backups ${host.prunedBackups.join(', ')}` : '';
        this.log(`${host.host}: removed releases ${host.pruned.join(', ')} (beyond keep_releases)${backups}`);
      }
    }
    return report;
  }
}
