import type { AdminUserView } from '../../../api/modules/users';
import { UserAdminCommand } from '../../user-admin-command';
import { cliActor } from '../../services/user-admin';

export default class UsersPromote extends UserAdminCommand<AdminUserView> {
  static override summary = 'Make an existing account staff';

  static override description = 'Staff can use the staff API routes and the console. `nexus users create-admin` creates a new staff account instead.';

  static override examples = ['<%= config.bin %> users promote alice@example.com'];

  static override args = { user: UserAdminCommand.userArg };

  static override flags = { ...UserAdminCommand.databaseFlags };

  async run(): Promise<AdminUserView> {
    const { args, flags } = await this.parse(UsersPromote);
    const user = await this.withUsers(flags['database-url'], (admin) => admin.setStaff(cliActor(), args.user, true));
    this.log(`Staff: ${this.describe(user)}.`);
    return user;
  }
}
