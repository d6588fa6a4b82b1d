import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { AuthContext } from '../../http/auth';
import { AuthenticationError, InvalidTokenError } from '../../errors';
import type { KeyValueStore } from '../../infra/kv-store';
import type { LoginThrottle } from './login-throttle';
import type { UserRow } from './model';
import { hashPassword, needsRehash, verifyAgainstNothing, verifyPassword } from './passwords';
import type { UserRepository } from './repository';
import type { RevocationReason, SessionRepository } from './sessions-repository';
import { newTokenId, type TokenService } from './tokens';

export interface ClientMeta {
  ip?: string;
  userAgent?: string;
}

export interface TokenPair {
  refresh: string;
  access: string;
}

export interface AuthServiceDeps {
  db: Knex;
  users: UserRepository;
  sessions: SessionRepository;
  tokens: TokenService;
  kv: KeyValueStore;
  throttle: LoginThrottle;
}

const INVALID_CREDENTIALS = 'Invalid email or password.';

/** The one 401 for a wrong password, an unknown email and an inactive account (the old `non_field_errors` kept). */
export function invalidCredentials(): AuthenticationError {
  return new AuthenticationError(INVALID_CREDENTIALS, 'authentication_failed', { non_field_errors: [INVALID_CREDENTIALS] });
}

/** Deny-list key of a revoked session: its access tokens are refused until they would have expired anyway. */
export function revokedSessionKey(sessionId: string): string {
  return `auth:revoked-session:${sessionId}`;
}

type RefreshOutcome = { ok: true; pair: TokenPair } | { ok: false; reason: 'invalid' | 'expired' | 'revoked' | 'reused' };

/**
 * Sessions and tokens: login, refresh with rotation and reuse detection, logout, revocation, and the
 * verification of access tokens on every authenticated request.
 */
export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  /** Opens a session for a user and issues its first token pair, inside the caller's transaction. */
  async startSession(user: UserRow, meta: ClientMeta, trx: Knex.Transaction): Promise<TokenPair> {
    const sessionId = randomUUID();
    await this.deps.sessions.createSession({ id: sessionId, user_id: user.id, user_agent: meta.userAgent, ip_address: meta.ip }, trx);
    return this.issuePair(user.id, sessionId, trx);
  }

  private async issuePair(userId: number, sessionId: string, trx: Knex.Transaction): Promise<TokenPair> {
    const jti = newTokenId();
    const refresh = this.deps.tokens.signRefresh(userId, sessionId, jti);
    await this.deps.sessions.addRefreshToken({ jti, session_id: sessionId, expires_at: refresh.expiresAt }, trx);
    return { refresh: refresh.token, access: this.deps.tokens.signAccess(userId, sessionId) };
  }

  /**
   * @throws {AuthenticationError} 401 for an unknown email, a wrong password or an inactive account alike,
   *   after the same amount of hashing work, so neither the answer nor its timing reveals which it was
   * @throws {AppError} 429 while the email is locked by the failed-login throttle (unknown emails alike)
   */
  async login(email: string, password: string, meta: ClientMeta): Promise<TokenPair & { user: UserRow }> {
    const { user, pair } = await this.signIn(email, password, meta, (user, trx) => this.startSession(user, meta, trx));
    return { ...pair, user };
  }

  /**
   * The staff console's sign-in: the same checks, throttle and answers as `login`, and a customer account is
   * refused with the same message as a wrong password. Opens a session (no tokens: the console keeps its own
   * cookie), so that signing a user out everywhere ends their console sessions too.
   * @returns the new session's id
   */
  async staffSignIn(email: string, password: string, meta: ClientMeta): Promise<{ user: UserRow; sessionId: string }> {
    const { user, pair: sessionId } = await this.signIn(email, password, meta, async (user, trx) => {
      const id = randomUUID();
      await this.deps.sessions.createSession({ id, user_id: user.id, user_agent: meta.userAgent, ip_address: meta.ip }, trx);
      return id;
    }, (user) => user.is_staff);
    return { user, sessionId };
  }

  private async signIn<T>(email: string, password: string, meta: ClientMeta, open: (user: UserRow, trx: Knex.Transaction) => Promise<T>, allowed: (user: UserRow) => boolean = () => true): Promise<{ user: UserRow; pair: T }> {
    const user = await this.deps.users.findByEmail(email);
    const target = { email, userId: user?.id, ip: meta.ip };
    await this.deps.throttle.assertNotLocked(target);
    const valid = user ? await verifyPassword(user.password_hash, password) : await verifyAgainstNothing(password);
    if (!user || !valid || !user.is_active || !allowed(user)) {
      await this.deps.throttle.recordFailure(target);
      throw invalidCredentials();
    }
    await this.deps.throttle.recordSuccess(email);
    const upgradedHash = needsRehash(user.password_hash) ? await hashPassword(password) : undefined;
    const pair = await this.deps.db.transaction(async (trx) => {
      await this.deps.users.touchLastLogin(user.id, trx);
      if (upgradedHash) await this.deps.users.replaceHash(user.id, upgradedHash, trx);
      return open(user, trx);
    });
    return { user, pair };
  }

  /**
   * The staff member behind a console session, when the session is live, the account active and still staff;
   * one indexed query, so sign-out everywhere, deactivation and demotion hold from the next request.
   */
  async staffForSession(userId: number, sessionId: string): Promise<UserRow | undefined> {
    const user = await this.deps.users.findForSession(userId, sessionId);
    return user?.session_live && user.is_active && user.is_staff ? user : undefined;
  }

  /** Ends one session (a console sign-out). */
  async endSession(sessionId: string): Promise<void> {
    await this.deps.sessions.revokeSession(sessionId, 'logout');
  }

  /**
   * Exchanges a refresh token for a new pair. Each refresh token works once: presenting a rotated one
   * again means it leaked, so the whole session (every token derived from the same login) is revoked.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const claims = this.deps.tokens.verify(refreshToken, 'refresh');
    const outcome = await this.deps.db.transaction(async (trx): Promise<RefreshOutcome> => {
      const token = await this.deps.sessions.lockRefreshToken(claims.jti, trx);
      if (!token || token.user_id !== claims.user_id) return { ok: false, reason: 'invalid' };
      if (token.session_revoked) return { ok: false, reason: 'revoked' };
      if (token.rotated_at) {
        await this.deps.sessions.revokeSession(token.session_id, 'reuse_detected', trx);
        return { ok: false, reason: 'reused' };
      }
      if (token.expired) return { ok: false, reason: 'expired' };
      const user = await this.deps.users.findById(token.user_id, trx);
      if (!user?.is_active) return { ok: false, reason: 'invalid' };
      await this.deps.sessions.markRotated(token.jti, token.session_id, trx);
      return { ok: true, pair: await this.issuePair(token.user_id, token.session_id, trx) };
    });
    if (outcome.ok) return outcome.pair;
    if (outcome.reason === 'reused') await this.denyAccessTokens([claims.sid]);
    if (outcome.reason === 'expired') throw new InvalidTokenError('Token is expired', 'refresh');
    if (outcome.reason === 'invalid') throw new InvalidTokenError('Token is invalid', 'refresh');
    throw new InvalidTokenError('Token is blacklisted', 'refresh');
  }

  /**
   * Ends the caller's session. A refresh token in the body ends its session too, but only when it belongs
   * to the caller: nobody can log someone else out with a token they found.
   */
  async logout(auth: AuthContext, refreshToken: string | undefined): Promise<void> {
    const sessionIds = new Set([auth.sessionId]);
    if (refreshToken) {
      try {
        const claims = this.deps.tokens.verify(refreshToken, 'refresh');
        if ((await this.deps.sessions.sessionOwner(claims.sid)) === auth.user.id) sessionIds.add(claims.sid);
      } catch {
        // An unusable refresh token changes nothing: the caller's own session still ends.
      }
    }
    for (const sessionId of sessionIds) await this.deps.sessions.revokeSession(sessionId, 'logout');
    await this.denyAccessTokens([...sessionIds]);
  }

  /** Revokes every session of a user (password change or reset) and refuses their outstanding access tokens. */
  async revokeAllSessions(userId: number, reason: RevocationReason, trx: Knex.Transaction): Promise<string[]> {
    return this.deps.sessions.revokeAllForUser(userId, reason, trx);
  }

  async denyAccessTokens(sessionIds: string[]): Promise<void> {
    await Promise.all(
      sessionIds.map((sessionId) => this.deps.kv.set(revokedSessionKey(sessionId), '1', this.deps.tokens.accessTtlSeconds)),
    );
  }

  /** Verifies an access token and loads its user; used by the authentication middleware on every request. */
  async verifyAccessToken(token: string): Promise<AuthContext> {
    const claims = this.deps.tokens.verify(token, 'access');
    if (await this.deps.kv.exists(revokedSessionKey(claims.sid))) throw new InvalidTokenError('Token is blacklisted', 'access');
    const user = await this.deps.users.findForSession(claims.user_id, claims.sid);
    if (!user) throw new AuthenticationError('User not found', 'user_not_found');
    if (!user.is_active) throw new AuthenticationError('User is inactive', 'user_inactive');
    if (!user.session_live) throw new InvalidTokenError('Token is blacklisted', 'access');
    return { user: { id: user.id, email: user.email, username: user.username, is_staff: user.is_staff }, sessionId: claims.sid };
  }
}
