import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { raw } from 'objection';
import { BadRequestError, ValidationError } from '../../errors';
import type { Logger } from '../../infra/logger';
import type { Mailer } from '../../infra/mailer';
import type { AuthService } from './auth-service';
import type { LoginThrottle } from './login-throttle';
import { PasswordResetToken, type UserRow } from './model';
import { hashPassword, passwordProblems, type PasswordContext } from './passwords';
import type { UserRepository } from './repository';
import type { PasswordResetConfirmInput } from './schemas';

export interface PasswordResetDeps {
  db: Knex;
  users: UserRepository;
  auth: AuthService;
  /** A completed reset unlocks the account's logins (the owner proved themselves by mail). */
  throttle: LoginThrottle;
  mailer: Mailer;
  logger: Logger;
  urlTemplate: string;
  ttlSeconds: number;
}

const INVALID_TOKEN = 'Invalid token.';

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The old backend's uid: the user id in URL-safe base64 without padding (5 → "NQ"). */
export function encodeUid(userId: number): string {
  return Buffer.from(String(userId)).toString('base64url');
}

export function decodeUid(uid: string): number | undefined {
  const decoded = Buffer.from(uid, 'base64url').toString('utf8');
  return /^[1-9]\d{0,15}$/.test(decoded) ? Number(decoded) : undefined;
}

function assertAcceptablePassword(password: string, context?: PasswordContext): void {
  const problems = passwordProblems(password, context);
  if (problems.length > 0) throw new ValidationError({ new_password: problems });
}

/** One answer for every bad link (unknown, used, expired or superseded token, bad uid), with the old `error` key. */
export function invalidToken(): BadRequestError {
  return new BadRequestError(INVALID_TOKEN, 'invalid_token', { error: INVALID_TOKEN });
}

export type ResetLinkDeps = Pick<PasswordResetDeps, 'db' | 'mailer' | 'urlTemplate' | 'ttlSeconds'>;

/**
 * Issues a reset token for the account (retiring earlier ones) and mails the link. `alsoInTransaction` runs
 * in the token's transaction (a staff tool's audit entry). The one place a reset link is made.
 */
export async function issuePasswordReset(deps: ResetLinkDeps, user: Pick<UserRow, 'id' | 'email'>, alsoInTransaction?: (trx: Knex.Transaction) => Promise<void>): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  await deps.db.transaction(async (trx) => {
    // Only the newest link works: requesting again retires earlier ones.
    await PasswordResetToken.query(trx).patch({ used_at: raw('now()') }).where('user_id', user.id).whereNull('used_at');
    await PasswordResetToken.query(trx).insert({ user_id: user.id, token_hash: digest(token), expires_at: raw(`now() + make_interval(secs => ?)`, [deps.ttlSeconds]) });
    await alsoInTransaction?.(trx);
  });
  const link = deps.urlTemplate.replaceAll('{uid}', encodeUid(user.id)).replaceAll('{token}', token);
  await deps.mailer.send({
    to: user.email,
    subject: 'Password Reset Request',
    text: `Someone asked to reset the password of your account.\n\nTo choose a new password, open this link within ${Math.round(deps.ttlSeconds / 60)} minutes:\n${link}\n\nIf it was not you, ignore this message; your password stays the same.`,
  });
}

/**
 * Password reset by mailed link. Tokens are random, single-use, expiring and stored only as a SHA-256
 * digest; the request answers the same whether or not the account exists.
 */
export class PasswordResetService {
  constructor(private readonly deps: PasswordResetDeps) {}

  /**
   * Issues a token and mails the link when the account exists and is active; does nothing otherwise. The
   * token and the mail are produced after the caller has its answer, so neither the response nor its
   * timing tells whether the account exists.
   */
  async request(email: string): Promise<void> {
    const user = await this.deps.users.findByEmail(email);
    if (!user?.is_active) return;
    void this.issueAndMail(user).catch((error: unknown) =>
      this.deps.logger.error({ err: error, userId: user.id }, 'password reset could not be issued or mailed'),
    );
  }

  private async issueAndMail(user: UserRow): Promise<void> {
    await this.issueFor(user);
  }

  /** Issues a token and mails the link; a mail failure reaches the caller. */
  issueFor(user: Pick<UserRow, 'id' | 'email'>, alsoInTransaction?: (trx: Knex.Transaction) => Promise<void>): Promise<void> {
    return issuePasswordReset(this.deps, user, alsoInTransaction);
  }

  /**
   * Sets the new password if the token is valid, consuming the token atomically (two concurrent confirms
   * cannot both succeed) and revoking every session of the account.
   */
  async confirm(input: PasswordResetConfirmInput): Promise<void> {
    assertAcceptablePassword(input.new_password);
    if (input.new_password !== input.new_password_confirm) throw ValidationError.field('non_field_errors', "Passwords don't match.");
    const userId = decodeUid(input.uid);
    const user = userId ? await this.deps.users.findById(userId) : undefined;
    const tokenHash = digest(input.token);
    const pending = user
      ? await PasswordResetToken.query(this.deps.db)
          .where({ user_id: user.id, token_hash: tokenHash })
          .whereNull('used_at')
          .where('expires_at', '>', raw('now()'))
          .first()
      : undefined;
    if (!user?.is_active || !pending) throw invalidToken();

    // Similarity to the account's own details can only be judged once the token has named the account.
    assertAcceptablePassword(input.new_password, user);

    const passwordHash = await hashPassword(input.new_password);
    const revoked = await this.deps.db.transaction(async (trx) => {
      const consumed = await PasswordResetToken.query(trx)
        .patch({ used_at: raw('now()') })
        .where({ id: pending.id })
        .whereNull('used_at')
        .where('expires_at', '>', raw('now()'));
      if (consumed !== 1) throw invalidToken();
      await PasswordResetToken.query(trx).patch({ used_at: raw('now()') }).where('user_id', user.id).whereNull('used_at');
      await this.deps.users.setPassword(user.id, passwordHash, trx);
      return this.deps.auth.revokeAllSessions(user.id, 'password_reset', trx);
    });
    await this.deps.auth.denyAccessTokens(revoked);
    await this.deps.throttle.unlock(user.email);
  }
}
