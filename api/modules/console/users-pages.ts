import type { Request, Response, Router } from 'express';
import { AppError } from '../../errors';
import { caseSensitiveRouter } from '../../http/router';
import type { Actor } from '../audit';
import type { AdminUserView } from '../users';
import type { ConsoleDeps } from './routes';
import type { View } from './page';
import { consoleActor, staffOf } from './session-middleware';
import { pageLinks, pageNumber, pathId, refusalMessage, text } from './form-values';

const PAGE_SIZE = 50;

/** The actions a staff member may take on an account, offered only when they change something. */
function actionsFor(user: AdminUserView, self: boolean) {
  return [
    user.is_active ? (self ? undefined : { path: 'deactivate', label: 'Deactivate', danger: true }) : { path: 'activate', label: 'Activate' },
    user.is_staff ? (self ? undefined : { path: 'demote', label: 'Remove staff rights', danger: true }) : { path: 'promote', label: 'Make staff' },
    { path: 'sign-out', label: 'Sign out everywhere', danger: true },
    user.is_active ? { path: 'reset-password', label: 'Send password-reset link' } : undefined,
  ].filter((action) => action !== undefined);
}

const NOTICES: Record<string, string> = {
  activate: 'The account is active.',
  deactivate: 'The account is deactivated and signed out everywhere.',
  promote: 'The account is staff.',
  demote: 'The account is no longer staff.',
  'sign-out': 'The account is signed out everywhere.',
  'reset-password': 'A password-reset link was sent.',
};

export function usersPages(deps: ConsoleDeps, view: View): Router {
  const router = caseSensitiveRouter();
  const id = (req: Request) => pathId(req.params.id, 'user');

  router.get('/', async (req, res) => {
    const query = { q: text(req.query.q), role: text(req.query.role), status: text(req.query.status) };
    const page = pageNumber(req.query.page);
    const { count, results } = await deps.users.list({
      search: query.q || undefined,
      staff: query.role === 'staff' ? true : query.role === 'customer' ? false : undefined,
      active: query.status === 'active' ? true : query.status === 'inactive' ? false : undefined,
      page,
      pageSize: PAGE_SIZE,
    });
    view(res, 200, 'users', 'users', { title: 'Users', query, users: results, count, page, pages: Math.max(1, Math.ceil(count / PAGE_SIZE)), pageLink: pageLinks('/admin/users/', query) });
  });

  const detail = async (res: Response, userId: number, status: number, messages: { notice?: string; error?: string }) => {
    const found = await deps.users.detail(userId);
    const [orders, addresses] = await Promise.all([
      deps.orders.list({ userId }, { column: 'created_at', direction: 'desc' }, 10, 0, '/media/'),
      deps.addresses.list(userId, { column: 'created_at', direction: 'desc' }, 20, 0),
    ]);
    view(res, status, 'user', 'users', { title: found.user.email, detail: found, orders, addresses, actions: actionsFor(found.user, found.user.id === staffOf(res).staff.id), ...messages });
  };
  router.get('/:id/', async (req, res) => detail(res, id(req), 200, { notice: NOTICES[text(req.query.done)] }));

  const actions: Record<string, (actor: Actor, userId: number) => Promise<unknown>> = {
    activate: (who, userId) => deps.users.setActive(who, userId, true),
    deactivate: (who, userId) => deps.users.setActive(who, userId, false),
    promote: (who, userId) => deps.users.setStaff(who, userId, true),
    demote: (who, userId) => deps.users.setStaff(who, userId, false),
    'sign-out': (who, userId) => deps.users.signOutEverywhere(who, userId),
    'reset-password': (who, userId) => deps.users.sendPasswordReset(who, userId),
  };
  router.post('/:id/:action/', async (req, res) => {
    const action = actions[req.params.action];
    const userId = id(req);
    if (!action || !Object.hasOwn(actions, req.params.action)) throw new AppError({ status: 404, code: 'not_found', detail: 'Not found.' });
    try {
      await action(consoleActor(res), userId);
    } catch (error) {
      // A refusal (own account, deactivated account) is shown on the page it came from, with its status.
      if (error instanceof AppError && error.status === 409) return detail(res, userId, 409, { error: refusalMessage(error) });
      throw error;
    }
    res.redirect(303, `/admin/users/${userId}/?done=${req.params.action}`);
  });
  return router;
}
