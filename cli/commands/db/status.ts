import { Flags } from '@oclif/core';
import { recordedEnvironment } from '../../../db/meta';
import { migrationStatus } from '../../../db/migrator';
import { NexusError } from '../../errors';
import { DatabaseCommand } from '../../database-command';
import { sharedFlags } from '../../flags';

export interface StatusResult {
  applied: string[];
  pending: string[];
  environment: string | null;
}

export default class DbStatus extends DatabaseCommand<StatusResult> {
  static override description = 'List applied and pending migrations. With --check, exit 1 when any migration is pending (for CI and deploy gates).';

  static override examples = ['<%= config.bin %> db status', '<%= config.bin %> db status --check --json'];

  static override flags = {
    check: Flags.boolean({ description: 'Fail (exit 1) when migrations are pending.' }),
    'database-url': sharedFlags.databaseUrl,
  };

  static override summary = 'Show migration status';

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(DbStatus);
    const result = await this.withDatabase(flags['database-url'], async (db) => ({
      ...(await migrationStatus(db)),
      environment: (await recordedEnvironment(db)) ?? null,
    }));
    for (const name of result.applied) this.log(`  applied  ${name}`);
    for (const name of result.pending) this.log(`  pending  ${name}`);
    this.log(`${result.applied.length} applied, ${result.pending.length} pending`);
    if (flags.check && result.pending.length > 0) {
      throw new NexusError(`${result.pending.length} migration(s) pending`, { code: 'MIGRATIONS_PENDING', suggestions: ['run `nexus db migrate`'] });
    }
    return result;
  }
}
