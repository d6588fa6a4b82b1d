import type { Knex } from 'knex';
import { raw, UniqueViolationError } from 'objection';
import { User, type UserRow } from './model';

export type NewUser = Pick<UserRow, 'email' | 'username' | 'password_hash' | 'first_name' | 'last_name'> &
  Partial<Pick<UserRow, 'is_staff' | 'is_superuser'>>;

export type ProfilePatch = Partial<Pick<UserRow, 'username' | 'first_name' | 'last_name'>>;

/** Which unique field a write collided with. */
export class DuplicateUserError extends Error {
  constructor(readonly field: 'email' | 'username') {
    super(`duplicate ${field}`);
  }
}

function translateUniqueViolation(error: unknown): never {
  if (error instanceof UniqueViolationError) {
    const constraint = error.constraint ?? '';
    if (constraint.includes('email')) throw new DuplicateUserError('email');
    if (constraint.includes('username')) throw new DuplicateUserError('username');
  }
  throw error;
}

export class UserRepository {
  constructor(private readonly db: Knex) {}

  async findById(id: number, trx?: Knex.Transaction): Promise<UserRow | undefined> {
    return User.query(trx ?? this.db).findById(id);
  }

  /**
   * The user of an access token, with whether its session is still live: one indexed round trip, so that a
   * sign-out made by another process (the CLI, a second API host without shared Redis) holds at once.
   */
  async findForSession(id: number, sessionId: string): Promise<(UserRow & { session_live: boolean }) | undefined> {
    return User.query(this.db)
      .findById(id)
      .select('users.*', raw('EXISTS (SELECT 1 FROM auth_sessions s WHERE s.id = ?::uuid AND s.user_id = users.id AND s.revoked_at IS NULL) AS session_live', [sessionId])) as unknown as Promise<(UserRow & { session_live: boolean }) | undefined>;
  }

  /** Case-insensitive, matching the unique index on lower(email). */
  async findByEmail(email: string): Promise<UserRow | undefined> {
    return User.query(this.db).whereRaw('lower(email) = lower(?)', [email]).first();
  }

  /** Which of the given email/username are taken (case-insensitively). */
  async takenFields(email: string | undefined, username: string | undefined, exceptUserId?: number): Promise<Set<'email' | 'username'>> {
    const taken = new Set<'email' | 'username'>();
    if (email === undefined && username === undefined) return taken;
    const rows = await User.query(this.db)
      .select('email', 'username')
      .where((query) => {
        if (email !== undefined) query.orWhereRaw('lower(email) = lower(?)', [email]);
        if (username !== undefined) query.orWhereRaw('lower(username) = lower(?)', [username]);
      })
      .modify((query) => {
        if (exceptUserId !== undefined) query.whereNot('id', exceptUserId);
      });
    for (const row of rows) {
      if (email !== undefined && row.email.toLowerCase() === email.toLowerCase()) taken.add('email');
      if (username !== undefined && row.username.toLowerCase() === username.toLowerCase()) taken.add('username');
    }
    return taken;
  }

  /** @throws {DuplicateUserError} when the email or username is already taken, even by a concurrent insert */
  async create(user: NewUser, trx?: Knex.Transaction): Promise<UserRow> {
    try {
      return await User.query(trx ?? this.db).insert(user).returning('*');
    } catch (error) {
      return translateUniqueViolation(error);
    }
  }

  /** @throws {DuplicateUserError} when the new username is taken */
  async updateProfile(id: number, patch: ProfilePatch): Promise<UserRow | undefined> {
    try {
      const [row] = await User.query(this.db)
        .patch({ ...patch, updated_at: raw('now()') })
        .where('id', id)
        .returning('*');
      return row;
    } catch (error) {
      return translateUniqueViolation(error);
    }
  }

  async setPassword(id: number, passwordHash: string, trx: Knex.Transaction): Promise<void> {
    const now = raw('now()');
    await User.query(trx).patch({ password_hash: passwordHash, password_changed_at: now, updated_at: now }).where('id', id);
  }

  /** Replaces the hash of an unchanged password (algorithm upgrade); sessions stay valid. */
  async replaceHash(id: number, passwordHash: string, trx: Knex.Transaction): Promise<void> {
    await User.query(trx).patch({ password_hash: passwordHash }).where('id', id);
  }

  async setStaff(id: number, isStaff: boolean, isSuperuser: boolean): Promise<void> {
    await User.query(this.db).patch({ is_staff: isStaff, is_superuser: isSuperuser }).where('id', id);
  }

  async touchLastLogin(id: number, trx?: Knex.Transaction): Promise<void> {
    await User.query(trx ?? this.db).patch({ last_login: raw('now()') }).where('id', id);
  }
}
