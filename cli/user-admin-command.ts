import { Args } from '@oclif/core';
import type { Knex } from 'knex';
import type { AdminUserView, UserAdminService } from '../api/modules/users';
import { recordedEnvironment } from '../db/meta';
import { DatabaseCommand } from './database-command';
import { sharedFlags } from './flags';
import { asCliError, cliMailer, userAdmin } from './services/user-admin';

/** Base of `nexus users …`: the users module's staff powers on a database, audited as the CLI operator. */
export abstract class UserAdminCommand<T> extends DatabaseCommand<T> {
  static userArg = Args.string({ name: 'user', required: true, description: 'The user: their id or email.' });

  static databaseFlags = { 'database-url': sharedFlags.databaseUrl };

  protected async withUsers<R>(databaseUrl: string | undefined, work: (admin: UserAdminService, db: Knex) => Promise<R>, options: { mail?: boolean } = {}): Promise<R> {
    // Mail settings are checked before the database is touched: a link that cannot be sent is never issued.
    const mail = options.mail ? cliMailer((text) => this.note(text)) : undefined;
    return this.withDatabase(databaseUrl, async (db) => {
      try {
        return await work(userAdmin(db, mail), db);
      } catch (error) {
        return asCliError(error);
      }
    });
  }

  /**
   * Against production (NODE_ENV, or the database's own record) a change that locks someone out is confirmed
   * by typing the account's email, or --yes; elsewhere it runs at once.
   */
  protected async guardProduction(db: Knex, flags: { yes?: boolean }, question: string, user: AdminUserView): Promise<void> {
    if (process.env.NODE_ENV !== 'production' && (await recordedEnvironment(db)) !== 'production') return;
    await this.confirmByTyping(flags, `${question} (production database)`, user.email);
  }

  protected describe(user: AdminUserView): string {
    return `${user.email} (id ${user.id}${user.is_staff ? ', staff' : ''}${user.is_active ? '' : ', deactivated'})`;
  }
}
