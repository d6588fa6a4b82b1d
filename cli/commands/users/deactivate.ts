import type { AdminUserView } from '../../../api/modules/users';
import { sharedFlags } from '../../flags';
import { UserAdminCommand } from '../../user-admin-command';
import { cliActor } from '../../services/user-admin';

export default class UsersDeactivate extends UserAdminCommand<AdminUserView> {
  static override summary = 'Stop an account from signing in, and end its sessions';

  static override description =
    'The account keeps its orders and reviews; its tokens are refused from the next request and it cannot sign in until `nexus users activate`. Against a production database, confirm by typing the email (or --yes).';

  static override examples = ['<%= config.bin %> users deactivate alice@example.com', '<%= config.bin %> users deactivate 42 --yes --json'];

  static override args = { user: UserAdminCommand.userArg };

  static override flags = { ...UserAdminCommand.databaseFlags, yes: sharedFlags.yes };

  async run(): Promise<AdminUserView> {
    const { args, flags } = await this.parse(UsersDeactivate);
    const user = await this.withUsers(flags['database-url'], async (admin, db) => {
      await this.guardProduction(db, flags, `Deactivate ${args.user}?`, await admin.find(args.user));
      return admin.setActive(cliActor(), args.user, false);
    });
    this.log(`Deactivated: ${this.describe(user)}; its sessions are ended.`);
    return user;
  }
}
