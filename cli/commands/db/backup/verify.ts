import { Args } from '@oclif/core';
import { allowUnsignedFlag, BackupCommand, backupFlags, fromOffsiteFlag } from '../../../backup-command';
import type { VerifyReport } from '../../../services/backup-manager';

export default class DbBackupVerify extends BackupCommand<{ verified: VerifyReport }> {
  static override summary = 'Prove a backup authentic and restorable: check its signature, restore it into a scratch database, check it against its manifest, drop it';
  static override description =
    "Checks the manifest's signature (BACKUP_SIGNING_KEY, or one of BACKUP_SIGNING_KEYS_PREVIOUS): an unsigned or mis-signed backup is refused (exit 5) unless --allow-unsigned. Checks the dump's sha256 against the manifest (a corrupted file is refused before anything is restored), restores it into a scratch database next to the real one, compares every table's row count and checksum and the migration version with the manifest, then drops the scratch database. The live database is never touched.";

  static override examples = ['<%= config.bin %> db backup verify 20261202T031500Z-scheduled --target production'];
  static override args = { backup: Args.string({ description: 'Backup id (from `nexus db backup list`).', required: true }) };
  static override flags = { ...backupFlags, ...fromOffsiteFlag, ...allowUnsignedFlag };

  async run(): Promise<{ verified: VerifyReport }> {
    const { args, flags } = await this.parse(DbBackupVerify);
    const context = await this.backups(flags);
    if (flags['from-offsite']) await this.fetchFromOffsite(context, args.backup);
    const { manager } = context;
    const verified = await manager.verify(args.backup);
    const signed = verified.signature.startsWith('valid') ? 'signed, ' : `${verified.signature.toUpperCase()} (allowed by --allow-unsigned), `;
    this.log(`${verified.id}: ${signed}restorable; ${verified.tables} tables and ${verified.rows} rows match the manifest, migration ${verified.migration || 'none'}.`);
    return { verified };
  }
}
