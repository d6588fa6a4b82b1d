import { Flags } from '@oclif/core';
import { createStaffAccount, staffEmailProblem, staffPasswordProblems } from '../../services/staff-accounts';
import { askNewPassword, askText } from '../../prompts';
import { DatabaseCommand } from '../../database-command';
import { UsageError } from '../../errors';
import { sharedFlags } from '../../flags';
import { readPasswordFromStdin } from '../../services/stdin';
import { checked } from '../../flags';

export interface CreateAdminResult {
  id: number;
  email: string;
  username: string;
  promoted: boolean;
}

export default class UsersCreateAdmin extends DatabaseCommand<CreateAdminResult> {
  static override description =
    'Create a staff account (is_staff and is_superuser). nexus ships no default admin: this is how the first one is made. At a terminal the password is prompted for; in scripts pipe it with --password-stdin. With --promote, an existing account is made staff instead.';

  static override examples = [
    '<%= config.bin %> users create-admin --email ops@example.com',
    'printf %s "$ADMIN_PASSWORD" | <%= config.bin %> users create-admin --email ops@example.com --password-stdin --json',
    '<%= config.bin %> users create-admin --email existing@example.com --promote',
  ];

  static override flags = {
    'database-url': sharedFlags.databaseUrl,
    email: checked('email')({ description: 'Email of the account (the login).' }),
    username: checked('username')({ description: 'Username. Default: the part of the email before "@".' }),
    'password-stdin': Flags.boolean({ description: 'Read the password from standard input (for CI; nothing is echoed).' }),
    promote: Flags.boolean({ description: 'Make an existing account staff instead of creating one.', exclusive: ['password-stdin'] }),
  };

  static override summary = 'Create a staff (admin) account';

  async run(): Promise<CreateAdminResult> {
    const { flags } = await this.parse(UsersCreateAdmin);
    const interactive = this.isInteractive();
    const email = flags.email ?? (interactive ? await askText('Email', (value) => staffEmailProblem(value, { username: flags.username, promote: flags.promote })) : undefined);
    if (!email) throw new UsageError('An email is required.', ['pass --email ops@example.com']);

    let password: string | undefined;
    if (!flags.promote) {
      if (flags['password-stdin']) password = await readPasswordFromStdin();
      else if (interactive) password = await askNewPassword((value) => staffPasswordProblems(value, email, flags.username));
      else throw new UsageError('A password is required and there is no terminal to ask for it.', ['pipe it in with --password-stdin']);
    }

    const result = await this.withDatabase(flags['database-url'], (db) =>
      createStaffAccount(db, { email, username: flags.username, password, promote: flags.promote }),
    );
    this.log(`${result.promoted ? 'Promoted' : 'Created'} staff account ${result.email} (id ${result.id}).`);
    return result;
  }
}
