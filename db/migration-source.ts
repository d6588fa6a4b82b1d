import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';

export const MIGRATIONS_DIRECTORY = join(__dirname, 'migrations');
export const MIGRATIONS_TABLE = 'knex_migrations';

const MIGRATION_FILE = /^(\d{14}_[a-z0-9-]+)\.(ts|js)$/;

/**
 * Lists migrations by name without extension, so the same history is valid whether the TypeScript
 * sources run (tests, `nexus dev` from a checkout) or the compiled JavaScript does (production).
 */
export class ProjectMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly directory = MIGRATIONS_DIRECTORY) {}

  async getMigrations(): Promise<string[]> {
    const names = new Set<string>();
    for (const file of readdirSync(this.directory)) {
      const match = MIGRATION_FILE.exec(file);
      if (match) names.add(match[1] as string);
    }
    return [...names].sort();
  }

  getMigrationName(migration: string): string {
    return migration;
  }

  async getMigration(migration: string): Promise<Knex.Migration> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- knex loads migrations by path at run time
    return require(join(this.directory, migration)) as Knex.Migration;
  }
}

export function migratorConfig(): Knex.MigratorConfig {
  return { migrationSource: new ProjectMigrationSource(), tableName: MIGRATIONS_TABLE };
}
