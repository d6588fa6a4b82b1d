import { migrateLatest } from '../../../db/migrator';
import { DatabaseCommand } from '../../database-command';
import { checked, sharedFlags } from '../../flags';

export interface ResetResult {
  database: string;
  applied: string[];
}

export default class DbReset extends DatabaseCommand<ResetResult> {
  static override description =
    'Drop every table of the database and migrate it again from scratch. Refused against production; asks for confirmation (or --yes).';

  static override examples = ['<%= config.bin %> db reset', '<%= config.bin %> db reset --yes && <%= config.bin %> db seed'];

  static override flags = {
    'database-url': sharedFlags.databaseUrl,
    yes: sharedFlags.yes,
    schema: checked('sqlIdentifier')({ description: 'Schema to reset.', default: 'public' }),
  };

  static override summary = 'Erase the database and re-create the schema';

  async run(): Promise<ResetResult> {
    const { flags } = await this.parse(DbReset);
    return this.withDatabase(flags['database-url'], async (db, target) => {
      await this.assertNotProduction(db, 'reset the database');
      const database = new URL(target.url).pathname.slice(1);
      await this.confirmByTyping(flags, `Erase ALL data in "${database}"?`, database);
      await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [flags.schema]);
      await db.raw('CREATE SCHEMA ??', [flags.schema]);
      const applied = await migrateLatest(db);
      this.log(`Reset "${database}": ${applied.length} migrations applied.`);
      return { database, applied };
    });
  }
}
