import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { KeyValueStore } from '../infra/kv-store';

/** The console's session cookie: HttpOnly, SameSite=Strict, Secure behind TLS, scoped to /admin. */
export const SESSION_COOKIE = 'nexus_console';
/** Before sign-in, the sign-in form's CSRF token rides in this cookie (double submit). */
export const LOGIN_CSRF_COOKIE = 'nexus_console_login';

export interface ConsoleSession {
  userId: number;
  /** The auth_sessions row behind it: revoking that row (sign-out everywhere) ends this session. */
  sessionId: string;
  csrf: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  lastSeenAt: number;
}

const key = (token: string) => `console:session:${createHash('sha256').update(token).digest('hex')}`;
const newToken = () => randomBytes(32).toString('base64url');

/**
 * Console sessions, server-side in the shared key-value store (Redis, or the in-process store without
 * REDIS_URL): the cookie holds only a random token, stored as its digest. Each request extends the idle
 * timeout; the absolute lifetime counts from sign-in.
 */
export class ConsoleSessions {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly options: { idleSeconds: number; lifetimeSeconds: number; now: () => number },
  ) {}

  async create(userId: number, sessionId: string): Promise<{ token: string; session: ConsoleSession }> {
    const token = newToken();
    const now = this.options.now();
    const session: ConsoleSession = { userId, sessionId, csrf: newToken(), createdAt: now, lastSeenAt: now };
    await this.kv.set(key(token), JSON.stringify(session), this.options.idleSeconds);
    return { token, session };
  }

  /** The live session of a token, its idle timeout renewed; undefined when unknown, idle too long or too old. */
  async read(token: string): Promise<ConsoleSession | undefined> {
    const stored = await this.kv.get(key(token));
    if (!stored) return undefined;
    const session = JSON.parse(stored) as ConsoleSession;
    const now = this.options.now();
    const remaining = session.createdAt + this.options.lifetimeSeconds * 1000 - now;
    // The store's expiry is the backstop; the times in the record decide (one clock for both limits).
    if (remaining <= 0 || now - session.lastSeenAt > this.options.idleSeconds * 1000) {
      await this.kv.delete(key(token));
      return undefined;
    }
    const renewed = { ...session, lastSeenAt: now };
    await this.kv.set(key(token), JSON.stringify(renewed), Math.min(this.options.idleSeconds, Math.ceil(remaining / 1000)));
    return renewed;
  }

  async destroy(token: string): Promise<void> {
    await this.kv.delete(key(token));
  }
}

/** A cookie's value; a malformed one (bad percent-encoding) is no cookie at all. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [rawName, ...value] = part.trim().split('=');
    if (rawName !== name) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function setCookie(req: Request, res: Response, name: string, value: string): void {
  res.append('Set-Cookie', `${name}=${value}; Path=/admin; HttpOnly; SameSite=Strict${req.secure ? '; Secure' : ''}`);
}

export function clearCookie(req: Request, res: Response, name: string): void {
  res.append('Set-Cookie', `${name}=; Path=/admin; HttpOnly; SameSite=Strict${req.secure ? '; Secure' : ''}; Max-Age=0`);
}

/** Compares a submitted CSRF token with the expected one in constant time. */
export function csrfMatches(submitted: unknown, expected: string | undefined): boolean {
  if (typeof submitted !== 'string' || !expected) return false;
  const [a, b] = [Buffer.from(submitted), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

export const newCsrfToken = newToken;
