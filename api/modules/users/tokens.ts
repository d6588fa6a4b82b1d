import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { InvalidTokenError } from '../../errors';

export type TokenType = 'access' | 'refresh';

/** The claims simplejwt issued (token_type, exp, iat, jti, user_id) plus `sid`, the session the token belongs to. */
const claimsSchema = z.object({
  token_type: z.enum(['access', 'refresh']),
  user_id: z.number().int().positive(),
  sid: z.string().uuid(),
  jti: z.string().regex(/^[0-9a-f]{32}$/),
  iat: z.number().int(),
  exp: z.number().int(),
});

export type TokenClaims = z.infer<typeof claimsSchema>;

const ALGORITHM = 'HS256';

export function newTokenId(): string {
  return randomBytes(16).toString('hex');
}

export interface TokenServiceOptions {
  secret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  now: () => number;
}

/**
 * Signs and verifies nexus JWTs. The algorithm is pinned to HS256 on both sides, so `alg: none` and tokens
 * signed with another algorithm or key are refused.
 */
export class TokenService {
  constructor(private readonly options: TokenServiceOptions) {}

  get accessTtlSeconds(): number {
    return this.options.accessTtlSeconds;
  }

  private sign(type: TokenType, userId: number, sessionId: string, jti: string, ttlSeconds: number): { token: string; expiresAt: Date } {
    const iat = Math.floor(this.options.now() / 1000);
    const exp = iat + ttlSeconds;
    const claims: TokenClaims = { token_type: type, exp, iat, jti, user_id: userId, sid: sessionId };
    return { token: jwt.sign(claims, this.options.secret, { algorithm: ALGORITHM }), expiresAt: new Date(exp * 1000) };
  }

  signAccess(userId: number, sessionId: string): string {
    return this.sign('access', userId, sessionId, newTokenId(), this.options.accessTtlSeconds).token;
  }

  signRefresh(userId: number, sessionId: string, jti: string): { token: string; expiresAt: Date } {
    return this.sign('refresh', userId, sessionId, jti, this.options.refreshTtlSeconds);
  }

  /** @throws {InvalidTokenError} expired, malformed, wrongly signed or of the other type */
  verify(token: string, expected: TokenType): TokenClaims {
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.options.secret, {
        algorithms: [ALGORITHM],
        clockTimestamp: Math.floor(this.options.now() / 1000),
      });
    } catch (error) {
      throw new InvalidTokenError(error instanceof jwt.TokenExpiredError ? 'Token is expired' : 'Token is invalid', expected);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new InvalidTokenError('Token is invalid', expected);
    if (claims.data.token_type !== expected) throw new InvalidTokenError('Token has wrong type', expected);
    return claims.data;
  }
}
