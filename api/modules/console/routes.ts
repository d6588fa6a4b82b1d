import express, { type Request, type Response, type Router } from 'express';
import { requirePackageFile } from './assets';
import { clearCookie, type ConsoleSessions, csrfMatches, LOGIN_CSRF_COOKIE, newCsrfToken, readCookie, SESSION_COOKIE, setCookie } from '../../http/console-session';
import { caseSensitiveRouter } from '../../http/router';
import { AppError } from '../../errors';
import type { Logger } from '../../infra/logger';
import type { AuditLog } from '../audit';
import { loginBody, type AuthService, type UserAdminService } from '../users';
import type { Render } from './views';
import { requireCsrf, requireStaff, staffOf } from './session-middleware';
import { refusalMessage } from './form-values';
import { usersPages } from './users-pages';
import { auditPages } from './audit-pages';
import { dashboardPage } from './dashboard-page';
import { ordersPages } from './orders-pages';
import { reviewsPages } from './reviews-pages';
import { productsPages } from './products-pages';
import { categoriesPages } from './categories-pages';
import { webhooksPages } from './webhooks-pages';
import type { WebhookSubscriptions } from '../webhooks';
import type { CategoryService, ProductAdmin } from '../catalog';
import { uploadParser } from '../../http/multipart';
import type { ModerationService } from '../reviews';
import type { OrderService } from '../orders';
import type { AddressService } from '../addresses';
import type { Knex } from 'knex';

export interface ConsoleDeps {
  db: Knex;
  auth: AuthService;
  users: UserAdminService;
  orders: OrderService;
  addresses: AddressService;
  moderation: ModerationService;
  products: ProductAdmin;
  categories: CategoryService;
  webhooks: WebhookSubscriptions;
  /** The API's upload limits: a product image (MEDIA_MAX_BYTES) and the form around it (BODY_LIMIT). */
  maxImageBytes: number;
  bodyLimitBytes: number;
  audit: AuditLog;
  sessions: ConsoleSessions;
  render: Render;
  logger: Logger;
  /** The sign-in rate limit (the API's login rule, its own bucket). */
  loginLimit: express.RequestHandler;
  lowStockThreshold: number;
  currency: string;
}

/**
 * The console's own CSP: nothing inline, nothing from elsewhere, never framed. Pico draws icons with data: SVGs;
 * the upload preview shows the chosen file through a blob: URL.
 */
const CONSOLE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** A sign-in may send the browser back only to a console page. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/admin\/[A-Za-z0-9/_?=&%.-]*$/.test(value) && !value.startsWith('/admin//') ? value : '/admin/';
}

export function consoleRouter(deps: ConsoleDeps): Router {
  const router = caseSensitiveRouter();
  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.get('/static/pico.min.css', requirePackageFile('@picocss/pico/css/pico.min.css'));
  router.get('/static/console.css', requirePackageFile('console.css'));
  router.get('/static/console.js', requirePackageFile('console.js'));
  router.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));

  const page = (res: Response, status: number, view: string, data: Record<string, unknown>) => res.status(status).type('html').send(deps.render(view, data));
  const signInPage = (req: Request, res: Response, status: number, extra: { email?: string; error?: string; next?: string } = {}) => {
    const loginCsrf = newCsrfToken();
    setCookie(req, res, LOGIN_CSRF_COOKIE, loginCsrf);
    page(res, status, 'login', { title: 'Sign in', loginCsrf, email: extra.email ?? '', next: extra.next ?? safeNext(req.query.next), error: extra.error });
  };

  router.get('/login/', (req, res) => signInPage(req, res, 200));
  router.post('/login/', deps.loginLimit, async (req, res, next) => {
    const body = req.body as Record<string, unknown>;
    const [email, password] = [body.email, body.password].map((value) => (typeof value === 'string' ? value : ''));
    // Login CSRF: the form's token must match the cookie set with the form (double submit, SameSite=Strict).
    if (!csrfMatches(body.csrf, readCookie(req, LOGIN_CSRF_COOKIE))) return signInPage(req, res, 403, { email, error: 'The sign-in form expired. Try again.' });
    // The API's own login rules (a well-formed email, a password, no NUL): what they refuse cannot be an account.
    const credentials = loginBody.safeParse({ email, password });
    if (!credentials.success) return signInPage(req, res, 401, { email, error: 'Invalid email or password.', next: safeNext(body.next) });
    try {
      const { user, sessionId } = await deps.auth.staffSignIn(credentials.data.email, credentials.data.password, { ip: req.ip, userAgent: req.get('user-agent') });
      // A new token at every sign-in: a token planted before it (session fixation) is never promoted.
      const previous = readCookie(req, SESSION_COOKIE);
      if (previous) await deps.sessions.destroy(previous);
      const { token } = await deps.sessions.create(user.id, sessionId);
      clearCookie(req, res, LOGIN_CSRF_COOKIE);
      setCookie(req, res, SESSION_COOKIE, token);
      res.redirect(303, safeNext(body.next));
    } catch (error) {
      if (error instanceof AppError && error.status === 401) return signInPage(req, res, 401, { email, error: 'Invalid email or password.', next: safeNext(body.next) });
      next(error);
    }
  });

  // A product form is multipart (its image): parsed after the session is checked and before its CSRF token is.
  const staffOnly = [requireStaff(deps.sessions, deps.auth), uploadParser({ field: 'image', maxBytes: deps.maxImageBytes }, deps.bodyLimitBytes), requireCsrf()];
  router.post('/logout/', ...staffOnly, async (req, res) => {
    const { token, session } = staffOf(res);
    await deps.auth.endSession(session.sessionId);
    await deps.sessions.destroy(token);
    clearCookie(req, res, SESSION_COOKIE);
    res.redirect(303, '/admin/login/');
  });

  const pages = caseSensitiveRouter();
  pages.use(...staffOnly);
  /** What every signed-in page's layout needs. */
  const view = (res: Response, status: number, name: string, section: string, data: Record<string, unknown>) => {
    const { staff, session } = staffOf(res);
    page(res, status, name, { staff, csrf: session.csrf, section, ...data });
  };
  pages.get('/', dashboardPage(deps, view));
  pages.use('/users', usersPages(deps, view));
  pages.use('/orders', ordersPages(deps, view));
  pages.use('/reviews', reviewsPages(deps, view));
  pages.use('/products', productsPages(deps, view));
  pages.use('/categories', categoriesPages(deps, view));
  pages.use('/webhooks', webhooksPages(deps, view));
  pages.use('/audit', auditPages(deps, view));
  router.use(pages);

  router.use((_req: Request, res: Response) => page(res, 404, 'error', { title: 'Not found' }));
  router.use((error: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    if (error instanceof AppError && error.status < 500) return page(res, error.status, 'error', { title: refusalMessage(error) });
    // The form parser's own refusals (too large, too many fields, bad encoding) carry their 4xx status.
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return page(res, status, 'error', { title: status === 413 ? 'The form is too large.' : 'The form could not be read.' });
    deps.logger.error({ err: error }, 'console request failed');
    page(res, 500, 'error', { title: 'Something went wrong' });
  });
  return router;
}
