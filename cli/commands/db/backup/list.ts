import { BackupCommand, backupFlags } from '../../../backup-command';
import type { BackupManifest } from '../../../services/backup-manifest';

export default class DbBackupList extends BackupCommand<{ backups: BackupManifest[] }> {
  static override summary = 'List the backups, oldest first';
  static override examples = ['<%= config.bin %> db backup list', '<%= config.bin %> db backup list --target production --json'];
  static override flags = backupFlags;

  async run(): Promise<{ backups: BackupManifest[] }> {
    const { flags } = await this.parse(DbBackupList);
    const { manager, where } = await this.backups(flags);
    const backups = await manager.list();
    if (backups.length === 0) this.log(`No backups in ${where}.`);
    for (const backup of backups) {
      this.log(`${backup.id}  ${String(backup.dump.bytes).padStart(12)} B  migration ${backup.migration.latest || 'none'}  release ${backup.release ?? '-'}`);
    }
    return { backups };
  }
}
