import type { AdminUserView } from '../../../api/modules/users';
import { UserAdminCommand } from '../../user-admin-command';
import { cliActor } from '../../services/user-admin';

export default class UsersActivate extends UserAdminCommand<AdminUserView> {
  static override summary = 'Let a deactivated account sign in again';

  static override examples = ['<%= config.bin %> users activate alice@example.com'];

  static override args = { user: UserAdminCommand.userArg };

  static override flags = { ...UserAdminCommand.databaseFlags };

  async run(): Promise<AdminUserView> {
    const { args, flags } = await this.parse(UsersActivate);
    const user = await this.withUsers(flags['database-url'], (admin) => admin.setActive(cliActor(), args.user, true));
    this.log(`Active: ${this.describe(user)}.`);
    return user;
  }
}
