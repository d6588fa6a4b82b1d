import { Flags } from '@oclif/core';
import { BackupCommand, backupFlags } from '../../../backup-command';
import type { BackupManifest } from '../../../services/backup-manifest';
import type { SignatureStatus } from '../../../services/backup-signing';

type ListedBackup = BackupManifest & { signatureStatus: SignatureStatus };

const SHOWN: Record<SignatureStatus, string> = {
  valid: 'signed',
  'valid-previous-key': 'signed (previous key)',
  unsigned: 'UNSIGNED',
  invalid: 'BAD SIGNATURE',
  'unknown-key': 'UNKNOWN KEY',
  unchecked: 'signature not checked (no BACKUP_SIGNING_KEY)',
};

export default class DbBackupList extends BackupCommand<{ backups: ListedBackup[] }> {
  static override summary = 'List the backups, oldest first, with the state of their signature';
  static override description =
    'Each backup is shown with its signature checked against BACKUP_SIGNING_KEY and BACKUP_SIGNING_KEYS_PREVIOUS (`signatureStatus` in --json): valid, valid-previous-key, unsigned, invalid, unknown-key, or unchecked when no key is set. Only the first two can be verified or restored without --allow-unsigned.';

  static override examples = ['<%= config.bin %> db backup list', '<%= config.bin %> db backup list --target production --json'];
  static override flags = { ...backupFlags, offsite: Flags.boolean({ description: 'List the copies in backups.offsite instead of the host.', dependsOn: ['target'] }) };

  async run(): Promise<{ backups: ListedBackup[] }> {
    const { flags } = await this.parse(DbBackupList);
    // --offsite on a target without backups.offsite is refused by backups(), before connecting.
    const { manager, where: host, offsite, trust } = await this.backups(flags, flags.offsite);
    const manifests = flags.offsite && offsite ? await offsite.list() : await manager.list();
    const where = flags.offsite && offsite ? offsite.where : host;
    const backups = manifests.map((manifest) => ({ ...manifest, signatureStatus: trust.keys.check(manifest) }));
    if (backups.length === 0) this.log(`No backups in ${where}.`);
    for (const backup of backups) {
      this.log(`${backup.id}  ${String(backup.dump.bytes).padStart(12)} B  migration ${backup.migration.latest || 'none'}  release ${backup.release ?? '-'}  ${SHOWN[backup.signatureStatus]}`);
    }
    return { backups };
  }
}
