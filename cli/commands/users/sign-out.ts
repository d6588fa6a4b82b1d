import type { AdminUserView } from '../../../api/modules/users';
import { sharedFlags } from '../../flags';
import { UserAdminCommand } from '../../user-admin-command';
import { cliActor } from '../../services/user-admin';

export interface SignOutResult {
  user: AdminUserView;
  sessions: number;
}

export default class UsersSignOut extends UserAdminCommand<SignOutResult> {
  static override summary = 'Sign an account out on every device';

  static override description =
    'Ends every session: refresh tokens stop working at once and access tokens from the next request. The account can sign in again (use `users deactivate` to stop that). Against a production database, confirm by typing the email (or --yes).';

  static override examples = ['<%= config.bin %> users sign-out alice@example.com', '<%= config.bin %> users sign-out 42 --yes --json'];

  static override args = { user: UserAdminCommand.userArg };

  static override flags = { ...UserAdminCommand.databaseFlags, yes: sharedFlags.yes };

  async run(): Promise<SignOutResult> {
    const { args, flags } = await this.parse(UsersSignOut);
    const result = await this.withUsers(flags['database-url'], async (admin, db) => {
      await this.guardProduction(db, flags, `Sign ${args.user} out everywhere?`, await admin.find(args.user));
      return admin.signOutEverywhere(cliActor(), args.user);
    });
    this.log(`Signed out: ${this.describe(result.user)}; ${result.sessions} session(s) ended.`);
    return result;
  }
}
