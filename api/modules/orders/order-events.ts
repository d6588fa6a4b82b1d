import type { Knex } from 'knex';
import { afterCommit } from '../../infra/after-commit';
import type { OrderMetricEvent, ShopMetrics } from '../../infra/metrics';
import { recordEvent, type EventType } from '../events';
import type { OrderRow, PaymentRow } from './model';
import type { OrderRepository } from './repository';
import type { OrderStatus } from './state-machine';
import { refundView, trackingView } from './serializers';
import type { OrderViews } from './views';

/** The event a move to `to` announces: a cancellation for a missed payment deadline is an expiry. */
function eventType(order: OrderRow): EventType {
  if (order.status === 'cancelled' && order.cancel_reason === 'payment_timeout') return 'order.expired';
  return `order.${order.status}` as EventType;
}

/** The order events the shop's counters count. */
const COUNTED: Partial<Record<EventType, OrderMetricEvent>> = {
  'order.placed': 'placed',
  'order.paid': 'paid',
  'order.cancelled': 'cancelled',
  'order.expired': 'expired',
};

/**
 * Writes an order's events into the outbox, inside the transaction that changed the order: the order as the
 * API returns it (image links on PUBLIC_URL, since no request is at hand), and what the move brought with it.
 */
export class OrderEvents {
  constructor(private readonly deps: { orders: OrderRepository; views: OrderViews; mediaBase: string; metrics?: ShopMetrics }) {}

  /** Announces the order's current status (placed for a new order). */
  async announce(trx: Knex.Transaction, order: OrderRow, change: { from: OrderStatus | null; refund?: PaymentRow }): Promise<void> {
    const type: EventType = change.from === null ? 'order.placed' : eventType(order);
    const context: Record<string, unknown> = { previous_status: change.from };
    if (order.status === 'cancelled') {
      context.cancel_reason = order.cancel_reason;
      context.refund = change.refund ? refundView(change.refund) : null;
    }
    if (order.status === 'shipped') context.tracking = trackingView(order, await this.deps.orders.events(order.id, trx));
    await recordEvent(trx, { type, resource: { type: 'order', id: order.id }, object: await this.deps.views.one(trx, order, this.deps.mediaBase), context });
    const counted = COUNTED[type];
    const metrics = this.deps.metrics;
    // Counted once the change is committed: a checkout that rolls back placed nothing.
    if (counted && metrics) afterCommit(trx, async () => metrics.orderChanged(counted, order), () => undefined);
  }
}
