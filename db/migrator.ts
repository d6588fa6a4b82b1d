import type { Knex } from 'knex';
import { migratorConfig } from './migration-source';

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

function names(list: unknown[]): string[] {
  return list.map((entry) => (typeof entry === 'string' ? entry : (entry as { name: string }).name));
}

/**
 * What is applied, and which of this version's migrations are not. Migrations applied that this version does
 * not have are listed, not an error: a newer release ran them, and this one still serves beside it during a
 * deploy, or again after a rollback (`knex migrate:latest` keeps refusing such a directory).
 */
export async function migrationStatus(db: Knex): Promise<MigrationStatus> {
  const [applied, pending] = (await db.migrate.list({ ...migratorConfig(), disableMigrationsListValidation: true })) as [unknown[], unknown[]];
  return { applied: names(applied), pending: names(pending) };
}

export async function pendingMigrations(db: Knex): Promise<string[]> {
  return (await migrationStatus(db)).pending;
}

/** Applies every pending migration; returns the names applied in this run. */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migratorConfig())) as [number, string[]];
  return applied;
}

/** Undoes the last batch, or every migration with `all`; returns the names undone. */
export async function rollback(db: Knex, all = false): Promise<string[]> {
  const [, undone] = (await db.migrate.rollback(migratorConfig(), all)) as [number, string[]];
  return undone;
}
