import type { Request, Response, Router } from 'express';
import { AppError } from '../../errors';
import { caseSensitiveRouter } from '../../http/router';
import type { ConsoleDeps } from './routes';
import type { View } from './page';
import { consoleActor } from './session-middleware';
import { pageLinks, pageNumber, pathId, refusalMessage, text } from './form-values';

const PAGE_SIZE = 50;
const STATUSES = ['open', 'resolved', 'dismissed', 'all'] as const;

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

  const queue = async (req: Request, res: Response, status: number, messages: { notice?: string; error?: string }) => {
    const chosen = (STATUSES as readonly string[]).includes(text(req.query.status)) ? (text(req.query.status) as (typeof STATUSES)[number]) : 'open';
    const page = pageNumber(req.query.page);
    const [count, reports] = await Promise.all([deps.moderation.countReports(chosen), deps.moderation.listReports(chosen, PAGE_SIZE, (page - 1) * PAGE_SIZE)]);
    view(res, status, 'reviews', 'reviews', { title: 'Review reports', status: chosen, statuses: STATUSES, reports, count, page, pages: Math.max(1, Math.ceil(count / PAGE_SIZE)), pageLink: pageLinks('/admin/reviews/', { status: chosen }), ...messages });
  };
  router.get('/', (req, res) => queue(req, res, 200, { notice: NOTICES[text(req.query.done)] }));

  /** Runs a moderation step; a refusal (already closed, already hidden) is shown on the queue with its 409. */
  const act = (run: (req: Request, res: Response) => Promise<string>) => async (req: Request, res: Response) => {
    try {
      const done = await run(req, res);
      res.redirect(303, `/admin/reviews/?done=${done}`);
    } catch (error) {
      if (error instanceof AppError && error.status === 409) return queue(req, res, 409, { error: refusalMessage(error) });
      throw error;
    }
  };
  router.post('/reports/:id/resolve/', act(async (req, res) => {
    const hide = (req.body as Record<string, unknown>).hide_review === 'on';
    await deps.moderation.close(consoleActor(res), pathId(req.params.id, 'report'), 'resolved', text((req.body as Record<string, unknown>).note, 500), hide);
    return hide ? 'resolved-hidden' : 'resolved';
  }));
  router.post('/reports/:id/dismiss/', act(async (req, res) => {
    await deps.moderation.close(consoleActor(res), pathId(req.params.id, 'report'), 'dismissed', text((req.body as Record<string, unknown>).note, 500));
    return 'dismissed';
  }));
  router.post('/:id/hide/', act(async (req, res) => {
    await deps.moderation.hide(consoleActor(res), pathId(req.params.id, 'review'), text((req.body as Record<string, unknown>).note, 500));
    return 'hidden';
  }));
  router.post('/:id/restore/', act(async (req, res) => {
    await deps.moderation.restore(consoleActor(res), pathId(req.params.id, 'review'));
    return 'restored';
  }));
  return router;
}
