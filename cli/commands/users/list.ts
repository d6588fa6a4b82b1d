import { Flags } from '@oclif/core';
import type { AdminUserView } from '../../../api/modules/users';
import { UserAdminCommand } from '../../user-admin-command';

export interface UsersListResult {
  count: number;
  page: number;
  results: AdminUserView[];
}

export default class UsersList extends UserAdminCommand<UsersListResult> {
  static override summary = 'List and search user accounts';

  static override description = 'Newest first. --search matches email, username and names (case-insensitive); --role and --status filter; --page and --page-size page through.';

  static override examples = ['<%= config.bin %> users list --search alice', '<%= config.bin %> users list --role staff --json', '<%= config.bin %> users list --status inactive --page 2'];

  static override flags = {
    ...UserAdminCommand.databaseFlags,
    search: Flags.string({ char: 's', description: 'Text to find in email, username, first or last name.' }),
    role: Flags.option({ options: ['staff', 'customer'] as const, description: 'Only staff, or only customers.' })(),
    status: Flags.option({ options: ['active', 'inactive'] as const, description: 'Only active, or only deactivated accounts.' })(),
    page: Flags.integer({ description: 'Page number.', default: 1, min: 1, max: 1_000_000 }),
    'page-size': Flags.integer({ description: 'Users per page.', default: 50, min: 1, max: 500 }),
  };

  async run(): Promise<UsersListResult> {
    const { flags } = await this.parse(UsersList);
    const { count, results } = await this.withUsers(flags['database-url'], (admin) =>
      admin.list({
        search: flags.search,
        staff: flags.role === undefined ? undefined : flags.role === 'staff',
        active: flags.status === undefined ? undefined : flags.status === 'active',
        page: flags.page,
        pageSize: flags['page-size'],
      }),
    );
    if (results.length === 0) this.log(count === 0 ? 'No users match.' : `No users on page ${flags.page} (${count} match).`);
    for (const user of results) {
      const flagsText = [user.is_staff ? 'staff' : '', user.is_active ? '' : 'deactivated'].filter(Boolean).join(', ');
      this.log(`${String(user.id).padStart(6)}  ${user.email}  @${user.username}${flagsText ? `  [${flagsText}]` : ''}  joined ${user.date_joined.slice(0, 10)}`);
    }
    if (results.length > 0) this.log(`${results.length} of ${count} (page ${flags.page})`);
    return { count, page: flags.page, results };
  }
}
