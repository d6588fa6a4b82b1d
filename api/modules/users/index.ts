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
  const auth = new AuthService({ db: deps.db, users, sessions: new SessionRepository(deps.db), tokens, kv: deps.kv, throttle });
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
  return { endpoints: usersEndpoints({ accounts, auth, passwordReset, limits }), auth, accounts };
}

export { UserRepository } from './repository';
export { hashPassword, passwordProblems } from './passwords';
export { normalizeEmail } from './account-service';
export type { UserRow } from './model';
export { createStaffAccount, staffAccountProblems, AccountExistsError, AccountNotFoundError } from './staff';
export type { StaffAccount, StaffAccountInput } from './staff';
