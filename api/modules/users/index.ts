import type { Knex } from 'knex';
import type { Config } from '../../config';
import type { Endpoint } from '../../http/endpoint';
import type { RateLimiterFactory } from '../../http/rate-limit';
import type { KeyValueStore } from '../../infra/kv-store';
import type { Logger } from '../../infra/logger';
import type { Mailer } from '../../infra/mailer';
import { AccountService } from './account-service';
import { AuthService } from './auth-service';
import { LoginAuditRepository } from './login-audit-repository';
import { LoginThrottle } from './login-throttle';
import { PasswordResetService } from './password-reset-service';
import { UserRepository } from './repository';
import { usersEndpoints } from './routes';
import { SessionRepository } from './sessions-repository';
import { TokenService } from './tokens';
import { UserAdminService } from './user-admin-service';
import { AuditLog } from '../audit';

export interface UsersModuleDeps {
  db: Knex;
  kv: KeyValueStore;
  config: Config;
  logger: Logger;
  mailer: Mailer;
  now: () => number;
  rateLimiter: RateLimiterFactory;
}

export interface UsersModule {
  endpoints: Endpoint[];
  auth: AuthService;
  accounts: AccountService;
  /** Staff powers over accounts (console, CLI). */
  admin: UserAdminService;
}

export function createUsersModule(deps: UsersModuleDeps): UsersModule {
  const users = new UserRepository(deps.db);
  const tokens = new TokenService({
    secret: deps.config.jwt.secret,
    accessTtlSeconds: deps.config.jwt.accessTtlSeconds,
    refreshTtlSeconds: deps.config.jwt.refreshTtlSeconds,
    now: deps.now,
  });
  const lockout = deps.config.loginLockout;
  const throttle = new LoginThrottle({ kv: deps.kv, audit: new LoginAuditRepository(deps.db, lockout.auditRetentionDays), rule: lockout });
  const sessions = new SessionRepository(deps.db);
  const auth = new AuthService({ db: deps.db, users, sessions, tokens, kv: deps.kv, throttle });
  const accounts = new AccountService({ db: deps.db, users, auth });
  const passwordReset = new PasswordResetService({
    db: deps.db,
    users,
    auth,
    throttle,
    mailer: deps.mailer,
    logger: deps.logger,
    urlTemplate: deps.config.passwordReset.urlTemplate,
    ttlSeconds: deps.config.passwordReset.ttlSeconds,
  });
  const rules = deps.config.rateLimit;
  const limits = {
    login: deps.rateLimiter('login', rules.login),
    register: deps.rateLimiter('register', rules.register),
    passwordReset: deps.rateLimiter('password-reset', rules.passwordReset),
    passwordResetConfirm: deps.rateLimiter('password-reset-confirm', rules.passwordResetConfirm),
    tokenRefresh: deps.rateLimiter('token-refresh', rules.tokenRefresh),
  };
  const resetLinks = { db: deps.db, mailer: deps.mailer, urlTemplate: deps.config.passwordReset.urlTemplate, ttlSeconds: deps.config.passwordReset.ttlSeconds };
  const admin = new UserAdminService({ db: deps.db, sessions, resetLinks, audit: new AuditLog(deps.db), denyAccessTokens: (ids) => auth.denyAccessTokens(ids) });
  return { endpoints: usersEndpoints({ accounts, auth, passwordReset, limits }), auth, accounts, admin };
}

export { UserRepository } from './repository';
export { hashPassword, passwordProblems } from './passwords';
export { normalizeEmail } from './account-service';
export type { UserRow } from './model';
export { createStaffAccount, staffAccountProblems, AccountExistsError, AccountNotFoundError } from './staff';
export type { StaffAccount, StaffAccountInput } from './staff';
export { UserAdminService } from './user-admin-service';
export type { AdminUserView, UserDetail, UserListQuery } from './user-admin-service';
export { SessionRepository } from './sessions-repository';
export type { AuthService } from './auth-service';
export { loginBody } from './schemas';
