import { recordEnvironment } from '../../../db/meta';
import { migrateLatest } from '../../../db/migrator';
import { DatabaseCommand } from '../../database-command';
import { sharedFlags } from '../../flags';

export interface MigrateResult {
  applied: string[];
  environment: string;
}

export default class DbMigrate extends DatabaseCommand<MigrateResult> {
  static override description =
    'Apply every pending migration. Safe to re-run: nothing happens when the schema is current. Records NODE_ENV in the database so that production is recognised later.';

  static override examples = ['<%= config.bin %> db migrate', 'DATABASE_URL=postgres://… <%= config.bin %> db migrate --json'];

  static override flags = { 'database-url': sharedFlags.databaseUrl };

  static override summary = 'Apply pending database migrations';

  async run(): Promise<MigrateResult> {
    const { flags } = await this.parse(DbMigrate);
    return this.withDatabase(flags['database-url'], async (db) => {
      const applied = await migrateLatest(db);
      const environment = await recordEnvironment(db, process.env.NODE_ENV ?? 'development');
      if (applied.length === 0) this.log('Already up to date.');
      for (const name of applied) this.log(`applied ${name}`);
      return { applied, environment };
    });
  }
}
