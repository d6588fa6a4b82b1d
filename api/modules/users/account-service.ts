import type { Knex } from 'knex';
import { recordEvent } from '../events';
import { serializeUser } from './serializers';
import type { AuthContext } from '../../http/auth';
import { NotFoundError, ValidationError, type FieldErrors } from '../../errors';
import type { AuthService, ClientMeta, TokenPair } from './auth-service';
import type { UserRow } from './model';
import { hashPassword, passwordProblems, verifyPassword } from './passwords';
import { DuplicateUserError, type UserRepository } from './repository';
import type { PasswordChangeInput, ProfileUpdateInput, RegisterInput } from './schemas';

const DUPLICATE_MESSAGES = {
  email: 'user with this email already exists.',
  username: 'A user with that username already exists.',
} as const;

/** Django's normalize_email: the domain part is case-insensitive, so it is stored lower-cased. */
export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at) + email.slice(at).toLowerCase();
}

export function duplicateError(error: DuplicateUserError): ValidationError {
  return new ValidationError({ [error.field]: [DUPLICATE_MESSAGES[error.field]] }, 'unique');
}

export interface AccountServiceDeps {
  db: Knex;
  users: UserRepository;
  auth: AuthService;
}

export function oldPasswordIncorrect(): ValidationError {
  return ValidationError.field('old_password', 'Old password is incorrect.', 'password_incorrect');
}

/** Accounts: registration, profile, password change and the staff flag. */
export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  /**
   * Creates an account and logs it in. Field errors are collected the way DRF did (every field at once);
   * the password confirmation is compared only when everything else is valid.
   */
  async register(input: RegisterInput, meta: ClientMeta): Promise<TokenPair & { user: UserRow }> {
    const email = normalizeEmail(input.email);
    const errors: FieldErrors = {};
    for (const field of await this.deps.users.takenFields(email, input.username)) errors[field] = [DUPLICATE_MESSAGES[field]];
    const weak = passwordProblems(input.password, { email, username: input.username, first_name: input.first_name, last_name: input.last_name });
    if (weak.length > 0) errors.password = weak;
    // Taken email/username alone get 'unique', the same code the race below (and profile updates) report.
    if (Object.keys(errors).length > 0) throw new ValidationError(errors, weak.length > 0 ? 'invalid' : 'unique');
    if (input.password !== input.password_confirm) throw ValidationError.field('non_field_errors', "Passwords don't match.");

    const passwordHash = await hashPassword(input.password);
    try {
      return await this.deps.db.transaction(async (trx) => {
        const user = await this.deps.users.create(
          { email, username: input.username, first_name: input.first_name ?? '', last_name: input.last_name ?? '', password_hash: passwordHash },
          trx,
        );
        await recordEvent(trx, { type: 'user.registered', resource: { type: 'user', id: user.id }, object: serializeUser(user) });
        return { ...(await this.deps.auth.startSession(user, meta, trx)), user };
      });
    } catch (error) {
      // Two registrations raced past the check above; the unique index decided.
      if (error instanceof DuplicateUserError) throw duplicateError(error);
      throw error;
    }
  }

  async profile(userId: number): Promise<UserRow> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new NotFoundError();
    return user;
  }

  async updateProfile(userId: number, patch: ProfileUpdateInput): Promise<UserRow> {
    if (patch.username !== undefined && (await this.deps.users.takenFields(undefined, patch.username, userId)).has('username')) {
      throw ValidationError.field('username', DUPLICATE_MESSAGES.username, 'unique');
    }
    try {
      const user = await this.deps.users.updateProfile(userId, patch);
      if (!user) throw new NotFoundError();
      return user;
    } catch (error) {
      if (error instanceof DuplicateUserError) throw duplicateError(error);
      throw error;
    }
  }

  /**
   * Changes the password and revokes every session of the account, this one included, so a thief holding
   * an old token is locked out. The caller gets a fresh pair to stay logged in.
   */
  async changePassword(auth: AuthContext, input: PasswordChangeInput, meta: ClientMeta): Promise<TokenPair> {
    const user = await this.profile(auth.user.id);
    if (!(await verifyPassword(user.password_hash, input.old_password))) {
      throw oldPasswordIncorrect();
    }
    const weak = passwordProblems(input.new_password, user);
    if (weak.length > 0) throw new ValidationError({ new_password: weak });
    if (input.new_password !== input.new_password_confirm) throw ValidationError.field('non_field_errors', "New passwords don't match.");

    const passwordHash = await hashPassword(input.new_password);
    const { pair, revoked } = await this.deps.db.transaction(async (trx) => {
      await this.deps.users.setPassword(user.id, passwordHash, trx);
      const revokedSessions = await this.deps.auth.revokeAllSessions(user.id, 'password_changed', trx);
      return { pair: await this.deps.auth.startSession(user, meta, trx), revoked: revokedSessions };
    });
    await this.deps.auth.denyAccessTokens(revoked);
    return pair;
  }
}
