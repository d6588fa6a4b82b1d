import { Args } from '@oclif/core';
import { allowUnsignedFlag, BackupCommand, backupFlags, fromOffsiteFlag } from '../../../backup-command';
import type { VerifyReport } from '../../../services/backup-manager';

export default class DbBackupVerify extends BackupCommand<{ verified: VerifyReport }> {
  static override summary = 'Prove a backup authentic and restorable: check its signature, restore it into a scratch database, check it against its manifest, drop it';
  static override description =
    "Checks the manifest's signature (BACKUP_SIGNING_KEY, or one of BACKUP_SIGNING_KEYS_PREVIOUS): an unsigned or mis-signed backup is refused (exit 5) unless --allow-unsigned. Checks the dump's sha256 against the manifest (a corrupted file is refused before anything is restored), restores it into a scratch database next to the real one, compares every table's row count and checksum and the migration version with the manifest, then drops the scratch database. The live database is never touched. A path instead of an id takes a backup from anywhere here (downloaded earlier, copied from another machine): its manifest must be beside it, and both are checked here first (with --target, before they are copied to the host).";

  static override examples = [
    '<%= config.bin %> db backup verify 20261202T031500Z-scheduled --target production',
    '<%= config.bin %> db backup verify ./downloads/20261202T031500Z-scheduled.dump',
  ];
  static override args = { backup: Args.string({ description: 'Backup id (from `nexus db backup list`), or the path of a backup (<id>.dump, with its manifest <id>.json beside it).', required: true }) };
  static override flags = { ...backupFlags, ...fromOffsiteFlag, ...allowUnsignedFlag };

  async run(): Promise<{ verified: VerifyReport }> {
    const { args, flags } = await this.parse(DbBackupVerify);
    const context = await this.backups(flags);
    const chosen = await this.backupArgument(context, args.backup, flags['from-offsite']);
    await chosen.place();
    const verified = await context.manager.verify(chosen.id);
    const signed = verified.signature.startsWith('valid') ? 'signed, ' : `${verified.signature.toUpperCase()} (allowed by --allow-unsigned), `;
    this.log(`${verified.id}: ${signed}restorable; ${verified.tables} tables and ${verified.rows} rows match the manifest, migration ${verified.migration || 'none'}.`);
    return { verified };
  }
}
