import { Flags } from '@oclif/core';
import { BackupCommand, backupFlags } from '../../../backup-command';
import { UsageError } from '../../../errors';
import type { BackupManifest } from '../../../services/backup-manifest';

export default class DbBackupList extends BackupCommand<{ backups: BackupManifest[] }> {
  static override summary = 'List the backups, oldest first';
  static override examples = ['<%= config.bin %> db backup list', '<%= config.bin %> db backup list --target production --json'];
  static override flags = { ...backupFlags, offsite: Flags.boolean({ description: 'List the copies in backups.offsite instead of the host.', dependsOn: ['target'] }) };

  async run(): Promise<{ backups: BackupManifest[] }> {
    const { flags } = await this.parse(DbBackupList);
    const { manager, where: host, offsite } = await this.backups(flags);
    if (flags.offsite && !offsite) throw new UsageError('--offsite needs backups.offsite in nexus.yml.');
    const backups = flags.offsite && offsite ? await offsite.list() : await manager.list();
    const where = flags.offsite && offsite ? offsite.where : host;
    if (backups.length === 0) this.log(`No backups in ${where}.`);
    for (const backup of backups) {
      this.log(`${backup.id}  ${String(backup.dump.bytes).padStart(12)} B  migration ${backup.migration.latest || 'none'}  release ${backup.release ?? '-'}`);
    }
    return { backups };
  }
}
