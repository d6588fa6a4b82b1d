import type { AdminUserView } from '../../../api/modules/users';
import { sharedFlags } from '../../flags';
import { UserAdminCommand } from '../../user-admin-command';
import { cliActor } from '../../services/user-admin';

export default class UsersDemote extends UserAdminCommand<AdminUserView> {
  static override summary = 'Take staff rights away from an account';

  static override description = 'The account stays a customer. Against a production database, confirm by typing the email (or --yes).';

  static override examples = ['<%= config.bin %> users demote alice@example.com', '<%= config.bin %> users demote 42 --yes --json'];

  static override args = { user: UserAdminCommand.userArg };

  static override flags = { ...UserAdminCommand.databaseFlags, yes: sharedFlags.yes };

  async run(): Promise<AdminUserView> {
    const { args, flags } = await this.parse(UsersDemote);
    const user = await this.withUsers(flags['database-url'], async (admin, db) => {
      await this.guardProduction(db, flags, `Demote ${args.user}?`, await admin.find(args.user));
      return admin.setStaff(cliActor(), args.user, false);
    });
    this.log(`No longer staff: ${this.describe(user)}.`);
    return user;
  }
}
