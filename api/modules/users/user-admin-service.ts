import type { Knex } from 'knex';
import { ConflictError, NotFoundError } from '../../errors';
import type { Actor, AuditLog } from '../audit';
import { User, type UserRow } from './model';
import { issuePasswordReset, type ResetLinkDeps } from './password-reset-service';
import type { SessionRepository } from './sessions-repository';

/** A user as staff tools show it: never the password hash. */
export type AdminUserView = Omit<UserRow, 'password_hash'>;

export interface UserListQuery {
  /** Matches email, username, first or last name (case-insensitive substring). */
  search?: string;
  staff?: boolean;
  active?: boolean;
  page?: number;
  pageSize?: number;
}

export interface UserDetail {
  user: AdminUserView;
  orders: { count: number; total_spent: string; last_order_at: string | null };
  addresses: number;
  active_sessions: number;
}

export interface UserAdminDeps {
  db: Knex;
  sessions: SessionRepository;
  /** How reset links are made and mailed (PASSWORD_RESET_URL, its lifetime, the mailer). */
  resetLinks: ResetLinkDeps;
  audit: AuditLog;
  /**
   * Refuses revoked sessions' access tokens before the database is asked (the API's shared store). Access
   * tokens are checked against their session in the database anyway, so a process without it (the CLI) is
   * still obeyed at once.
   */
  denyAccessTokens?: (sessionIds: string[]) => Promise<void>;
}

const VIEW_COLUMNS = ['id', 'email', 'username', 'first_name', 'last_name', 'is_active', 'is_staff', 'is_superuser', 'date_joined', 'last_login', 'password_changed_at', 'updated_at'] as const;

/** What an audit entry keeps of a user: the fields staff tools change. */
const audited = (user: Pick<UserRow, 'is_active' | 'is_staff' | 'is_superuser'>) => ({ is_active: user.is_active, is_staff: user.is_staff, is_superuser: user.is_superuser });

/**
 * Staff powers over accounts, for every staff door (console, CLI, staff API): list and look up, activate and
 * deactivate, promote and demote, sign out everywhere, send a password-reset link. Each change locks the
 * user's row, is audited in the same transaction, and refuses what would lock a staff member out of their
 * own account (deactivating or demoting oneself).
 */
export class UserAdminService {
  constructor(private readonly deps: UserAdminDeps) {}

  async list(query: UserListQuery = {}): Promise<{ count: number; results: AdminUserView[] }> {
    const pageSize = Math.min(Math.max(query.pageSize ?? 50, 1), 500);
    const page = Math.max(query.page ?? 1, 1);
    const filtered = User.query(this.deps.db).modify((builder) => {
      // PostgreSQL text never holds a NUL: one in the search text could match nothing, so it is dropped.
      const search = query.search?.replaceAll('\u0000', '');
      if (search) {
        const pattern = `%${search.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
        builder.where((where) => where.whereILike('email', pattern).orWhereILike('username', pattern).orWhereILike('first_name', pattern).orWhereILike('last_name', pattern));
      }
      if (query.staff !== undefined) builder.where('is_staff', query.staff);
      if (query.active !== undefined) builder.where('is_active', query.active);
    });
    const [count, results] = await Promise.all([
      filtered.clone().resultSize(),
      filtered.clone().select(...VIEW_COLUMNS).orderBy('id', 'desc').limit(pageSize).offset((page - 1) * pageSize),
    ]);
    return { count, results: results.map((row) => ({ ...row })) };
  }

  /** By id, or by email (case-insensitive) when `key` holds an "@". @throws {NotFoundError} */
  async find(key: string | number): Promise<AdminUserView> {
    if (typeof key === 'string' && key.includes('\u0000')) throw new NotFoundError(`No user ${key.replaceAll('\u0000', '')}.`);
    const query = User.query(this.deps.db).select(...VIEW_COLUMNS);
    const row = typeof key === 'number' || /^\d{1,15}$/.test(key) ? await query.findById(Number(key)) : await query.whereRaw('lower(email) = lower(?)', [key]).first();
    if (!row) throw new NotFoundError(`No user ${typeof key === 'number' ? `with id ${key}` : key}.`);
    return { ...row };
  }

  async detail(key: string | number): Promise<UserDetail> {
    const user = await this.find(key);
    const db = this.deps.db;
    const [orders, addresses, sessions] = await Promise.all([
      db('orders').where('user_id', user.id).first<{ count: string; total_spent: string | null; last_order_at: string | null }>(db.raw('count(*) AS count'), db.raw('coalesce(sum(total_amount), 0)::text AS total_spent'), db.raw('max(created_at) AS last_order_at')),
      db('addresses').where('user_id', user.id).count<{ count: string }[]>('* as count'),
      db('auth_sessions').where('user_id', user.id).whereNull('revoked_at').count<{ count: string }[]>('* as count'),
    ]);
    return {
      user,
      orders: { count: Number(orders?.count ?? 0), total_spent: orders?.total_spent ?? '0', last_order_at: orders?.last_order_at ?? null },
      addresses: Number(addresses[0]?.count ?? 0),
      active_sessions: Number(sessions[0]?.count ?? 0),
    };
  }

  /** Deactivating also ends every session: the user's tokens are refused from the next request. */
  setActive(actor: Actor, key: string | number, active: boolean): Promise<AdminUserView> {
    return this.change(actor, key, active ? 'user.activated' : 'user.deactivated', { is_active: active }, async (user, trx) => {
      if (!active) return this.deps.sessions.revokeAllForUser(user.id, 'deactivated', trx);
      return [];
    });
  }

  /** Staff and superuser go together, as `nexus users create-admin` makes them. */
  setStaff(actor: Actor, key: string | number, staff: boolean): Promise<AdminUserView> {
    return this.change(actor, key, staff ? 'user.promoted' : 'user.demoted', { is_staff: staff, is_superuser: staff }, async () => []);
  }

  /** Ends every session of the user, on every device; their refresh and access tokens stop working. */
  async signOutEverywhere(actor: Actor, key: string | number): Promise<{ user: AdminUserView; sessions: number }> {
    const user = await this.find(key);
    const revoked = await this.deps.db.transaction(async (trx) => {
      const ids = await this.deps.sessions.revokeAllForUser(user.id, 'logout', trx);
      await this.deps.audit.record(trx, actor, { action: 'user.signed_out', resourceType: 'user', resourceId: user.id, after: { sessions_revoked: ids.length } });
      return ids;
    });
    await this.deps.denyAccessTokens?.(revoked);
    return { user, sessions: revoked.length };
  }

  /** Issues a reset token and mails the link (the flow a customer starts with "forgot password"). */
  async sendPasswordReset(actor: Actor, key: string | number): Promise<AdminUserView> {
    const user = await this.find(key);
    if (!user.is_active) throw new ConflictError('This account is deactivated: activate it before sending a reset link.', 'invalid_transition');
    await issuePasswordReset(this.deps.resetLinks, user, (trx) => this.deps.audit.record(trx, actor, { action: 'user.password_reset_sent', resourceType: 'user', resourceId: user.id }));
    return user;
  }

  private async change(
    actor: Actor,
    key: string | number,
    action: string,
    patch: Partial<Pick<UserRow, 'is_active' | 'is_staff' | 'is_superuser'>>,
    alsoInTransaction: (user: UserRow, trx: Knex.Transaction) => Promise<string[]>,
  ): Promise<AdminUserView> {
    const { id } = await this.find(key);
    if (actor.id === id && (patch.is_active === false || patch.is_staff === false)) {
      throw new ConflictError('You cannot deactivate or demote your own account: ask another staff member.', 'own_account');
    }
    const { after, revoked } = await this.deps.db.transaction(async (trx) => {
      const before = (await User.query(trx).findById(id).forUpdate()) as UserRow;
      const unchanged = Object.entries(patch).every(([field, value]) => before[field as keyof UserRow] === value);
      if (unchanged) return { after: before, revoked: [] as string[] };
      const [updated] = (await User.query(trx).patch({ ...patch, updated_at: new Date().toISOString() }).where('id', id).returning('*')) as unknown as UserRow[];
      const revokedIds = await alsoInTransaction(updated as UserRow, trx);
      await this.deps.audit.record(trx, actor, { action, resourceType: 'user', resourceId: id, before: audited(before), after: audited(updated as UserRow) });
      return { after: updated as UserRow, revoked: revokedIds };
    });
    await this.deps.denyAccessTokens?.(revoked);
    const { password_hash: _hash, ...view } = after;
    return view;
  }
}
