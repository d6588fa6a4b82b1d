import { createHash } from 'node:crypto';
import { AppError } from '../../errors';
import type { KeyValueStore } from '../../infra/kv-store';
import type { LoginAuditRepository } from './login-audit-repository';

export interface LoginLockoutRule {
  maxFailures: number;
  windowSeconds: number;
  durationSeconds: number;
}

export interface LoginTarget {
  email: string;
  /** The account the email names, for the audit only: nothing here depends on whether it exists. */
  userId: number | undefined;
  ip: string | undefined;
}

/**
 * Counters and locks are keyed by a digest of the lower-cased email (the login lookup is case-insensitive),
 * so every spelling of one address shares them and no address sits in Redis.
 */
function emailKey(email: string): string {
  return createHash('sha256').update(email.toLowerCase()).digest('hex');
}

const failuresKey = (email: string) => `auth:login-failures:${emailKey(email)}`;
const lockKey = (email: string) => `auth:login-lock:${emailKey(email)}`;

/** 429 with Retry-After; the login's old `non_field_errors` key carries the message for old clients. */
export function lockedOut(retryAfterSeconds: number): AppError {
  const detail = `Too many failed logins for this email. Try again in ${retryAfterSeconds} seconds, or reset your password.`;
  return new AppError({ status: 429, code: 'throttled', detail, extra: { non_field_errors: [detail] }, headers: { 'Retry-After': String(retryAfterSeconds) } });
}

/**
 * The per-account failed-login throttle: after `maxFailures` failed logins for one email within the window,
 * from any IP and any API process (the counters live in the shared key-value store), that email is locked
 * for `durationSeconds`. Unknown emails are counted and locked exactly like real ones, so the throttle tells
 * nobody whether an account exists. Failures and lock-outs are written to the login audit.
 */
export class LoginThrottle {
  constructor(private readonly deps: { kv: KeyValueStore; audit: LoginAuditRepository; rule: LoginLockoutRule }) {}

  /** @throws {AppError} 429 while the email is locked, after auditing the refused attempt */
  async assertNotLocked(target: LoginTarget): Promise<void> {
    const retryAfter = await this.deps.kv.secondsToLive(lockKey(target.email));
    if (retryAfter === null) return;
    await this.deps.audit.record({ ...target, outcome: 'refused_while_locked' });
    throw lockedOut(retryAfter);
  }

  /** Counts a failed login; the one that reaches the limit locks the email (and starts a fresh count). */
  async recordFailure(target: LoginTarget): Promise<void> {
    const { kv, rule } = this.deps;
    const failures = await kv.incrementWithin(failuresKey(target.email), rule.windowSeconds);
    const locks = failures >= rule.maxFailures;
    if (locks) {
      await kv.set(lockKey(target.email), '1', rule.durationSeconds);
      await kv.delete(failuresKey(target.email));
    }
    await this.deps.audit.record({ ...target, outcome: locks ? 'locked' : 'bad_credentials' });
  }

  /** A successful login forgets the earlier failures. */
  async recordSuccess(email: string): Promise<void> {
    await this.deps.kv.delete(failuresKey(email));
  }

  /** A completed password reset proves the owner: their email is usable again at once. */
  async unlock(email: string): Promise<void> {
    await Promise.all([this.deps.kv.delete(lockKey(email)), this.deps.kv.delete(failuresKey(email))]);
  }
}
