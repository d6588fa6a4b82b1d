import type { Request, RequestHandler } from 'express';
import { AuthenticationError, PermissionDeniedError } from '../errors';

/** Who made a request: set by `authenticate` from a verified access token. */
export interface AuthContext {
  user: { id: number; email: string; username: string; is_staff: boolean };
  sessionId: string;
}

/** Verifies an access token and loads its user; throws AuthenticationError when it cannot. */
export type AccessTokenVerifier = (token: string) => Promise<AuthContext>;

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
  }
}

/**
 * Reads `Authorization: Bearer <jwt>`. A missing header or another scheme leaves the request anonymous; a
 * bad token is refused even on public endpoints, as the old backend did, so clients notice expiry.
 */
export function authenticate(verify: AccessTokenVerifier): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    if (!header) return next();
    const parts = header.trim().split(/\s+/);
    if (parts[0]?.toLowerCase() !== 'bearer') return next();
    if (parts.length !== 2 || !parts[1]) {
      throw new AuthenticationError('Authorization header must contain two space-delimited values', 'bad_authorization_header');
    }
    req.auth = await verify(parts[1]);
    next();
  };
}

export function requireUser(req: Request): AuthContext {
  if (!req.auth) throw new AuthenticationError();
  return req.auth;
}

export function requireStaff(req: Request): AuthContext {
  const auth = requireUser(req);
  if (!auth.user.is_staff) throw new PermissionDeniedError();
  return auth;
}
