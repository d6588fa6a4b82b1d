import type { Request, Response, Router } from 'express';
import { AppError } from '../../errors';
import { caseSensitiveRouter } from '../../http/router';
import { ALL_EVENTS, DELIVERY_STATUSES, SUBSCRIBABLE_EVENTS, type DeliveryStatus, type SubscriptionWithSecret } from '../webhooks';
import type { ConsoleDeps } from './routes';
import type { View } from './page';
import { consoleActor } from './session-middleware';
import { pageLinks, pageNumber, pathId, refusalMessage, text } from './form-values';

const PAGE_SIZE = 50;
const id = (value: unknown) => pathId(value, 'webhook');

const NOTICES: Record<string, string> = {
  saved: 'The subscription is saved.',
  deleted: 'The subscription is deleted.',
  test: 'A test event is on its way: it appears in the delivery log below within seconds.',
  replay: 'The delivery will be sent again within seconds (same event id).',
};

/** The checked event boxes of a form: one name sent once is a string, several an array. */
function checkedEvents(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((item): item is string => typeof item === 'string').map((item) => item.slice(0, 64));
}

/** Subscriptions and their delivery log through WebhookSubscriptions, the service the staff API and the CLI use. */
export function webhooksPages(deps: ConsoleDeps, view: View): Router {
  const router = caseSensitiveRouter();
  const choices = { allEvents: ALL_EVENTS, eventTypes: SUBSCRIBABLE_EVENTS };

  const list = async (req: Request, res: Response, status: number, messages: { notice?: string; error?: string; created?: SubscriptionWithSecret; form?: Record<string, unknown> }) => {
    const page = pageNumber(req.query.page);
    // One row more than the page tells whether there is a next page.
    const rows = await deps.webhooks.list(PAGE_SIZE + 1, (page - 1) * PAGE_SIZE);
    view(res, status, 'webhooks', 'webhooks', { title: 'Webhooks', subscriptions: rows.slice(0, PAGE_SIZE), page, hasNext: rows.length > PAGE_SIZE, pageLink: pageLinks('/admin/webhooks/', {}), ...choices, ...messages });
  };
  const detail = async (req: Request, res: Response, status: number, messages: { notice?: string; error?: string; secret?: string }) => {
    const subscriptionId = id(req.params.id);
    const subscription = await deps.webhooks.find(subscriptionId);
    const chosen = text(req.query.status);
    const filter = (DELIVERY_STATUSES as readonly string[]).includes(chosen) ? (chosen as DeliveryStatus) : undefined;
    const page = pageNumber(req.query.page);
    const rows = await deps.webhooks.deliveries(subscriptionId, filter, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE);
    view(res, status, 'webhook', 'webhooks', {
      title: `Webhook ${subscription.id}`,
      subscription,
      deliveries: rows.slice(0, PAGE_SIZE),
      statuses: DELIVERY_STATUSES,
      status: filter ?? '',
      page,
      hasNext: rows.length > PAGE_SIZE,
      pageLink: pageLinks(`/admin/webhooks/${subscription.id}/`, filter ? { status: filter } : {}),
      ...choices,
      ...messages,
    });
  };
  /** The service's refusals (an unsafe URL, an unknown event type) are shown with the form, with their status. */
  const refused = (error: unknown): AppError | undefined => (error instanceof AppError && [400, 409].includes(error.status) ? error : undefined);

  router.get('/', (req, res) => list(req, res, 200, { notice: NOTICES[text(req.query.done)] }));
  router.post('/', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const input = { url: text(body.url, 2100), events: checkedEvents(body.events), description: text(body.description) };
    try {
      // The secret is shown on this answer only: never stored in clear, never shown again.
      await list(req, res, 201, { created: await deps.webhooks.create(consoleActor(res), input) });
    } catch (error) {
      const refusal = refused(error);
      if (!refusal) throw error;
      await list(req, res, refusal.status, { error: refusalMessage(refusal), form: input });
    }
  });
  router.get('/:id/', (req, res) => detail(req, res, 200, { notice: NOTICES[text(req.query.done)] }));
  router.get('/:id/deliveries/:deliveryId/', async (req, res) => {
    const delivery = await deps.webhooks.delivery(id(req.params.id), pathId(req.params.deliveryId, 'delivery'));
    view(res, 200, 'webhook-delivery', 'webhooks', { title: `Delivery ${delivery.id}`, delivery, event: JSON.stringify(delivery.event, null, 2) });
  });

  /** Runs a change and goes back to the subscription; a refusal is shown on it. */
  const change = (run: (req: Request, res: Response) => Promise<string>) => async (req: Request, res: Response) => {
    try {
      const done = await run(req, res);
      res.redirect(303, done === 'deleted' ? '/admin/webhooks/?done=deleted' : `/admin/webhooks/${id(req.params.id)}/?done=${done}`);
    } catch (error) {
      const refusal = refused(error);
      if (!refusal) throw error;
      await detail(req, res, refusal.status, { error: refusalMessage(refusal) });
    }
  };
  router.post('/:id/', change(async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await deps.webhooks.update(consoleActor(res), id(req.params.id), { url: text(body.url, 2100), events: checkedEvents(body.events), description: text(body.description), is_active: body.is_active === 'on' });
    return 'saved';
  }));
  router.post('/:id/delete/', change(async (req, res) => {
    await deps.webhooks.remove(consoleActor(res), id(req.params.id));
    return 'deleted';
  }));
  router.post('/:id/test/', change(async (req, res) => {
    await deps.webhooks.sendTest(consoleActor(res), id(req.params.id));
    return 'test';
  }));
  router.post('/:id/deliveries/:deliveryId/replay/', change(async (req, res) => {
    await deps.webhooks.replay(consoleActor(res), id(req.params.id), pathId(req.params.deliveryId, 'delivery'));
    return 'replay';
  }));
  router.post('/:id/rotate-secret/', async (req, res) => {
    const rotated = await deps.webhooks.rotateSecret(consoleActor(res), id(req.params.id));
    await detail(req, res, 200, { secret: rotated.secret, notice: 'A new secret is in use from now on. Copy it now: it is not shown again.' });
  });
  return router;
}
