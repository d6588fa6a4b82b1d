import { Args, Flags } from '@oclif/core';
import { ProjectMigrationSource } from '../../../db/migration-source';
import { allowUnsignedFlag, BackupCommand, backupFlags, fromOffsiteFlag } from '../../backup-command';
import { RefusedError } from '../../errors';
import type { RestoreReport } from '../../services/backup-manager';
import { sharedFlags } from '../../flags';

interface Result {
  restored: RestoreReport;
  /** This version's migrations the restored database has not had (run `nexus db migrate`). */
  pendingMigrations: string[];
}

export default class DbRestore extends BackupCommand<Result> {
  static override summary = 'Restore a backup: into a fresh database, checked against its manifest, then switched in';
  static override description = `Refuses a backup whose manifest is not signed by BACKUP_SIGNING_KEY (or one of BACKUP_SIGNING_KEYS_PREVIOUS) unless --allow-unsigned (exit 5), and a dump whose sha256 differs from its manifest. Restores it into a new database beside the current one, checks every table's rows and checksum and the migration version against the manifest, and only then switches: the current database is renamed to <name>_before_restore_<time> (kept until you drop it) and the restored one takes its name. Sessions on the current database are ended; the API reconnects to the restored data.

BACKUP may be the path of a backup here (downloaded earlier, copied from another machine) instead of an id: its manifest must be beside it, and both are checked here first (with --target, before they are copied to the host).

Asks to type the database name (or --yes). A production database (NODE_ENV=production, or one that records production, as deployed ones do) also needs --confirm with the target's name (the database name locally): --yes alone is refused.`;

  static override examples = [
    '<%= config.bin %> db restore 20261202T031500Z-manual',
    '<%= config.bin %> db restore 20261202T031500Z-scheduled --target production --confirm production',
    '<%= config.bin %> db restore ./downloads/20261202T031500Z-scheduled.dump --database-url postgres://…/shop_staging',
  ];

  static override args = { backup: Args.string({ description: 'Backup id (from `nexus db backup list`), or the path of a backup (<id>.dump, with its manifest <id>.json beside it).', required: true }) };
  static override flags = {
    ...backupFlags,
    ...fromOffsiteFlag,
    ...allowUnsignedFlag,
    yes: sharedFlags.yes,
    confirm: Flags.string({ description: 'Required for production: the target name (or, locally, the database name).' }),
  };

  async run(): Promise<Result> {
    const { args, flags } = await this.parse(DbRestore);
    const context = await this.backups(flags);
    const { deploy } = context;
    const chosen = await this.backupArgument(context, args.backup, flags['from-offsite']);
    const { manager } = context;
    // Refused before any question: an untrusted backup is not worth a confirmation.
    const manifest = chosen.manifest ?? (await manager.trustedManifest(chosen.id)).manifest;
    const { database } = manager;
    const production = (await manager.environment()) === 'production' || (!deploy && process.env.NODE_ENV === 'production');
    const expected = deploy?.name ?? database;
    if (production && flags.confirm !== expected) {
      throw new RefusedError(`Refusing to restore over the production database ${database} without --confirm ${expected}.`, [`nexus db restore ${args.backup}${deploy ? ` --target ${deploy.name}` : ''} --confirm ${expected}`]);
    }
    if (!production && flags.confirm !== expected) await this.confirmByTyping(flags, `Replace the data of "${database}" with backup ${manifest.id} (${manifest.createdAt})?`, database);
    await chosen.place();
    const restored = await manager.restore(chosen.id);
    this.log(`Restored ${restored.id} into ${restored.database}: ${restored.tables} tables, ${restored.rows} rows, migration ${restored.migration || 'none'}.`);
    const pendingMigrations = (await new ProjectMigrationSource().getMigrations()).filter((name) => name > restored.migration);
    if (pendingMigrations.length > 0) this.log(`The restored schema is ${pendingMigrations.length} migration(s) behind this version: run \`nexus db migrate\` (or deploy) when the code needs them.`);
    this.log(`The replaced database is kept as ${restored.previous}; drop it when you no longer need it: psql -c 'DROP DATABASE "${restored.previous}"'`);
    return { restored, pendingMigrations };
  }
}
