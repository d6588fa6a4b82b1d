import { NexusCommand } from './base-command';
import { RefusedError } from './errors';
import { recordedEnvironment } from '../db/meta';
import type { Knex } from '../db/connection';
import { openDatabase, resolveDatabaseTarget, type DatabaseTarget } from './services/database';
import { redactUrl } from './redact';

/** Base of commands that work on a database: resolves the target, opens it, always closes it. */
export abstract class DatabaseCommand<T> extends NexusCommand<T> {
  protected async withDatabase<R>(databaseUrl: string | undefined, work: (db: Knex, target: DatabaseTarget) => Promise<R>): Promise<R> {
    const target = resolveDatabaseTarget(databaseUrl);
    if (target.source === 'nexus dev') this.note(`Using the database of the running \`nexus dev\`: ${redactUrl(target.url)}`);
    const db = await openDatabase(target);
    try {
      return await work(db, target);
    } finally {
      await db.destroy();
    }
  }

  /**
   * Refuses destructive or demo work against production: when NODE_ENV says so, or when the database
   * itself records that it serves production (a wrong local NODE_ENV is no protection).
   */
  protected async assertNotProduction(db: Knex, action: string): Promise<void> {
    const recorded = await recordedEnvironment(db);
    if (process.env.NODE_ENV === 'production' || recorded === 'production') {
      throw new RefusedError(`Refusing to ${action}: this is a production database.`, [
        'point --database-url at a development or staging database',
      ]);
    }
  }
}
