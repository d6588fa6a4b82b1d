import type { UserDetail } from '../../../api/modules/users';
import { UserAdminCommand } from '../../user-admin-command';

export default class UsersShow extends UserAdminCommand<UserDetail> {
  static override summary = 'Show one account: its flags, orders, addresses and sessions';

  static override examples = ['<%= config.bin %> users show alice@example.com', '<%= config.bin %> users show 42 --json'];

  static override args = { user: UserAdminCommand.userArg };

  static override flags = { ...UserAdminCommand.databaseFlags };

  async run(): Promise<UserDetail> {
    const { args, flags } = await this.parse(UsersShow);
    const detail = await this.withUsers(flags['database-url'], (admin) => admin.detail(args.user));
    const { user } = detail;
    this.log(`${user.email} (id ${user.id}, @${user.username}${user.first_name || user.last_name ? `, ${`${user.first_name} ${user.last_name}`.trim()}` : ''})`);
    this.log(`  status:   ${user.is_active ? 'active' : 'deactivated'}${user.is_staff ? ', staff' : ', customer'}`);
    this.log(`  joined:   ${user.date_joined}; last login: ${user.last_login ?? 'never'}`);
    this.log(`  orders:   ${detail.orders.count} (total ${detail.orders.total_spent}${detail.orders.last_order_at ? `, last ${detail.orders.last_order_at}` : ''})`);
    this.log(`  addresses: ${detail.addresses}; signed in on ${detail.active_sessions} device(s)`);
    return detail;
  }
}
