import type { Request, Response, Router } from 'express';
import { AppError } from '../../errors';
import { caseSensitiveRouter } from '../../http/router';
import type { ConsoleDeps } from './routes';
import type { View } from './page';
import { staffOf } from './session-middleware';

const PAGE_SIZE = 50;
const STATUSES = ['open', 'resolved', 'dismissed', 'all'] as const;
const text = (value: unknown, max = 200) => (typeof value === 'string' ? value.trim().slice(0, max) : '');
const positive = (value: string) => {
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new AppError({ status: 404, code: 'not_found', detail: 'Not found.' });
  return Number(value);
};

const NOTICES: Record<string, string> = {
  resolved: 'The report is resolved.',
  'resolved-hidden': 'The report is resolved and the review hidden.',
  dismissed: 'The report is dismissed.',
  hidden: 'The review is hidden: it left the public lists and the product\'s rating.',
  restored: 'The review is visible again.',
};

/** The report queue with each review and its product in view; resolve, dismiss, hide and restore through ModerationService. */
export function reviewsPages(deps: ConsoleDeps, view: View): Router {
  const router = caseSensitiveRouter();
  const staff = (res: Response) => ({ id: staffOf(res).staff.id, label: staffOf(res).staff.email, source: 'console' as const });

  const queue = async (req: Request, res: Response, status: number, messages: { notice?: string; error?: string }) => {
    const chosen = (STATUSES as readonly string[]).includes(text(req.query.status)) ? (text(req.query.status) as (typeof STATUSES)[number]) : 'open';
    const page = Math.max(1, Math.min(Number.parseInt(text(req.query.page), 10) || 1, 100_000));
    const [count, reports] = await Promise.all([deps.moderation.countReports(chosen), deps.moderation.listReports(chosen, PAGE_SIZE, (page - 1) * PAGE_SIZE)]);
    const pageLink = (target: number) => `/admin/reviews/?${new URLSearchParams({ status: chosen, page: String(target) }).toString()}`;
    view(res, status, 'reviews', 'reviews', { title: 'Review reports', status: chosen, statuses: STATUSES, reports, count, page, pages: Math.max(1, Math.ceil(count / PAGE_SIZE)), pageLink, ...messages });
  };
  router.get('/', (req, res) => queue(req, res, 200, { notice: NOTICES[text(req.query.done)] }));

  /** Runs a moderation step; a refusal (already closed, already hidden) is shown on the queue with its 409. */
  const act = (run: (req: Request, res: Response) => Promise<string>) => async (req: Request, res: Response) => {
    try {
      const done = await run(req, res);
      res.redirect(303, `/admin/reviews/?done=${done}`);
    } catch (error) {
      if (error instanceof AppError && error.status === 409) return queue(req, res, 409, { error: (error.toBody() as { detail: string }).detail });
      throw error;
    }
  };
  router.post('/reports/:id/resolve/', act(async (req, res) => {
    const hide = (req.body as Record<string, unknown>).hide_review === 'on';
    await deps.moderation.close(staff(res), positive(req.params.id as string), 'resolved', text((req.body as Record<string, unknown>).note, 500), hide);
    return hide ? 'resolved-hidden' : 'resolved';
  }));
  router.post('/reports/:id/dismiss/', act(async (req, res) => {
    await deps.moderation.close(staff(res), positive(req.params.id as string), 'dismissed', text((req.body as Record<string, unknown>).note, 500));
    return 'dismissed';
  }));
  router.post('/:id/hide/', act(async (req, res) => {
    await deps.moderation.hide(staff(res), positive(req.params.id as string), text((req.body as Record<string, unknown>).note, 500));
    return 'hidden';
  }));
  router.post('/:id/restore/', act(async (req, res) => {
    await deps.moderation.restore(staff(res), positive(req.params.id as string));
    return 'restored';
  }));
  return router;
}
