import { Flags } from '@oclif/core';
import { rollback } from '../../../db/migrator';
import { DatabaseCommand } from '../../database-command';
import { sharedFlags } from '../../flags';

export interface RollbackResult {
  rolledBack: string[];
}

export default class DbRollback extends DatabaseCommand<RollbackResult> {
  static override description =
    'Undo the last batch of migrations (or all of them with --all). Data in dropped tables is lost, so it asks for confirmation; pass --yes in scripts.';

  static override examples = ['<%= config.bin %> db rollback', '<%= config.bin %> db rollback --all --yes'];

  static override flags = {
    all: Flags.boolean({ description: 'Undo every migration, not just the last batch.' }),
    'database-url': sharedFlags.databaseUrl,
    yes: sharedFlags.yes,
  };

  static override summary = 'Undo the last batch of migrations';

  async run(): Promise<RollbackResult> {
    const { flags } = await this.parse(DbRollback);
    return this.withDatabase(flags['database-url'], async (db, target) => {
      const database = new URL(target.url).pathname.slice(1);
      await this.confirmByTyping(flags, `Roll back ${flags.all ? 'ALL migrations' : 'the last migration batch'} of "${database}"?`, database);
      const rolledBack = await rollback(db, flags.all);
      if (rolledBack.length === 0) this.log('Nothing to roll back.');
      for (const name of rolledBack) this.log(`rolled back ${name}`);
      return { rolledBack };
    });
  }
}
