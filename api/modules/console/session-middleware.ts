import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type ConsoleSessions, csrfMatches, readCookie, SESSION_COOKIE, type ConsoleSession } from '../../http/console-session';
import type { Actor } from '../audit';
import type { AuthService, UserRow } from '../users';

/** What a signed-in console request carries. */
export interface StaffContext {
  staff: Pick<UserRow, 'id' | 'email' | 'username'>;
  session: ConsoleSession;
  token: string;
}

export function staffOf(res: Response): StaffContext {
  return res.locals.console as StaffContext;
}

/** The signed-in staff member as the audit log records a console change. */
export function consoleActor(res: Response): Actor & { id: number } {
  const { staff } = staffOf(res);
  return { id: staff.id, label: staff.email, source: 'console' };
}

/**
 * Every console page but sign-in: a live session of an active staff account, or a redirect to sign-in
 * (401 for an htmx/fetch request, which cannot follow it into a form). Checked on each request, so
 * sign-out everywhere, deactivation and demotion hold at once.
 */
export function requireStaff(sessions: ConsoleSessions, auth: AuthService): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = readCookie(req, SESSION_COOKIE);
    const session = token ? await sessions.read(token) : undefined;
    const staff = session ? await auth.staffForSession(session.userId, session.sessionId) : undefined;
    if (!token || !session || !staff) {
      if (req.get('hx-request') || req.method !== 'GET') {
        res.status(401).type('text/plain').send('Sign in again: the console session has ended.');
        return;
      }
      res.redirect(303, `/admin/login/?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    res.locals.console = { staff: { id: staff.id, email: staff.email, username: staff.username }, session, token } satisfies StaffContext;
    next();
  };
}

/** Every state-changing request must carry the session's CSRF token (form field `csrf` or X-CSRF-Token). */
export function requireCsrf(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const submitted = (req.body as Record<string, unknown> | undefined)?.csrf ?? req.get('x-csrf-token');
    if (csrfMatches(submitted, staffOf(res).session.csrf)) return next();
    res.status(403).type('text/plain').send('Forbidden: the form is stale or did not come from the console (CSRF check failed). Reload the page and try again.');
  };
}
