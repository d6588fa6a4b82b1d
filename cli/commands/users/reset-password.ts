import type { AdminUserView } from '../../../api/modules/users';
import { UserAdminCommand } from '../../user-admin-command';
import { cliActor } from '../../services/user-admin';

export default class UsersResetPassword extends UserAdminCommand<AdminUserView> {
  static override summary = 'Send an account a password-reset link';

  static override description =
    "The link the customer's own \"forgot password\" sends (PASSWORD_RESET_URL, valid PASSWORD_RESET_TTL), by the API's mail settings from the environment: SMTP_URL sends it; with MAIL_TRANSPORT=log (the development default) the message is printed on stderr to pass on; with mail disabled it is refused (exit 3) before anything is issued. Earlier links stop working; the password stays until the link is used.";

  static override examples = ['SMTP_URL=smtps://… <%= config.bin %> users reset-password alice@example.com', '<%= config.bin %> users reset-password 42 --json'];

  static override args = { user: UserAdminCommand.userArg };

  static override flags = { ...UserAdminCommand.databaseFlags };

  async run(): Promise<AdminUserView> {
    const { args, flags } = await this.parse(UsersResetPassword);
    const user = await this.withUsers(flags['database-url'], (admin) => admin.sendPasswordReset(cliActor(), args.user), { mail: true });
    this.log(`Reset link issued for ${this.describe(user)}.`);
    return user;
  }
}
