import type { Request, Response, Router } from 'express';
import { AppError } from '../../errors';
import { caseSensitiveRouter } from '../../http/router';
import { ORDER_STATUSES, type OrderStatus } from '../orders';
import type { ConsoleDeps } from './routes';
import type { View } from './page';
import { consoleActor } from './session-middleware';
import { pageLinks, pageNumber, pathId, refusalMessage, text } from './form-values';

const PAGE_SIZE = 50;
const isDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value));

/** How each move is offered: its button, and what the note means for it. */
const MOVES: Partial<Record<OrderStatus, { label: string; note: string; danger?: boolean; noteRequired?: boolean }>> = {
  processing: { label: 'Start processing', note: 'Note (optional)' },
  shipped: { label: 'Mark shipped', note: 'Tracking note (carrier and tracking number)', noteRequired: true },
  delivered: { label: 'Mark delivered', note: 'Note (optional)' },
  cancelled: { label: 'Cancel order', note: 'Reason (the customer is refunded when paid)', danger: true, noteRequired: true },
  failed: { label: 'Mark failed', note: 'Reason', danger: true },
};

export function ordersPages(deps: ConsoleDeps, view: View): Router {
  const router = caseSensitiveRouter();
  const id = (req: Request) => pathId(req.params.id, 'order');

  router.get('/', async (req, res) => {
    const query = { status: text(req.query.status), customer: text(req.query.customer), from: text(req.query.from), to: text(req.query.to) };
    const page = pageNumber(req.query.page);
    let customerId: number | undefined;
    // A customer by id or by email; one that names nobody matches no order (id 0).
    if (query.customer) customerId = /^[1-9]\d{0,14}$/.test(query.customer) ? Number(query.customer) : (await deps.users.find(query.customer).catch(() => ({ id: 0 }))).id;
    const filters = {
      status: (ORDER_STATUSES as readonly string[]).includes(query.status) ? (query.status as OrderStatus) : undefined,
      userId: customerId,
      createdFrom: isDate(query.from) ? query.from : undefined,
      createdTo: isDate(query.to) ? `${query.to}T23:59:59.999Z` : undefined,
    };
    await deps.orders.settleOverdue(filters);
    const [count, orders] = await Promise.all([deps.orders.count(filters), deps.orders.list(filters, { column: 'created_at', direction: 'desc' }, PAGE_SIZE, (page - 1) * PAGE_SIZE, '/media/')]);
    view(res, 200, 'orders', 'orders', { title: 'Orders', query, statuses: ORDER_STATUSES, orders, count, page, pages: Math.max(1, Math.ceil(count / PAGE_SIZE)), pageLink: pageLinks('/admin/orders/', query) });
  });

  const detail = async (res: Response, orderId: number, status: number, messages: { notice?: string; error?: string }) => {
    const order = await deps.orders.staffView(orderId, '/media/');
    const moves = deps.orders.staffMoves(order.status).map((to) => ({ to, ...MOVES[to] }));
    view(res, status, 'order', 'orders', { title: `Order ${order.id}`, order, moves, ...messages });
  };
  router.get('/:id/', async (req, res) => detail(res, id(req), 200, { notice: text(req.query.done) ? `The order is ${text(req.query.done, 20)}.` : undefined }));

  router.post('/:id/status/', async (req, res) => {
    const orderId = id(req);
    const body = req.body as Record<string, unknown>;
    const to = text(body.status, 20) as OrderStatus;
    const note = text(body.note, 1000);
    if (!(ORDER_STATUSES as readonly string[]).includes(to)) return detail(res, orderId, 400, { error: 'Choose one of the offered changes.' });
    if (MOVES[to]?.noteRequired && !note) return detail(res, orderId, 400, { error: `${MOVES[to]?.note ?? 'A note'} is required.` });
    try {
      await deps.orders.setStatus(consoleActor(res), orderId, to, note, '/media/');
    } catch (error) {
      // The state machine's refusal (someone else moved it first) is shown on the order, with its status.
      if (error instanceof AppError && error.status === 409) return detail(res, orderId, 409, { error: refusalMessage(error) });
      throw error;
    }
    res.redirect(303, `/admin/orders/${orderId}/?done=${to}`);
  });
  return router;
}
