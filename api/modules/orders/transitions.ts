import type { Knex } from 'knex';
import { AppError } from '../../errors';
import { restoreStock } from '../catalog';
import type { ActorRole, CancelReason, OrderRow, PaymentRow } from './model';
import { PaymentProviderError, type PaymentProvider } from './payments/provider';
import type { OrderEvents } from './order-events';
import type { OrderRepository } from './repository';
import { toCents } from '../cart';
import { assertTransition, releasesStock, type OrderStatus, type PaymentStatus } from './state-machine';

export interface Actor {
  id: number | null;
  role: ActorRole;
}

/** The process itself (the payment deadline), not a person. */
export const SYSTEM: Actor = { id: null, role: 'system' };

/**
 * Told, inside the order's transaction, that one customer's orders of some products changed status; the
 * reviews module re-evaluates its "verified purchase" badges from it.
 */
export type PurchaseListener = (trx: Knex.Transaction, change: { userId: number; productIds: number[] }) => Promise<void>;

export interface TransitionResult {
  order: OrderRow;
  /** The refunded payment, when the move refunded one. */
  refund?: PaymentRow;
}

export function providerFailure(error: unknown): unknown {
  if (!(error instanceof PaymentProviderError)) return error;
  return new AppError({ status: 502, code: 'payment_provider_error', detail: `${error.message} Nothing was changed; try again later.`, cause: error });
}

function cancelReason(to: OrderStatus, actor: Actor, reason: CancelReason | undefined): CancelReason | undefined {
  if (to !== 'cancelled') return undefined;
  return reason ?? (actor.role === 'staff' ? 'staff' : 'customer');
}

/**
 * Moves a locked order to another status with everything that goes with it: stock returned when a pending,
 * paid or processing order is cancelled or fails, the charge refunded when a paid order is cancelled, the
 * reason of a cancellation, an event recording who did it and the outbox event announcing it. Runs inside
 * the caller's transaction, so a failed refund changes nothing and announces nothing.
 */
export class OrderTransitions {
  constructor(private readonly deps: { orders: OrderRepository; provider: PaymentProvider; events: OrderEvents; purchasesChanged?: PurchaseListener }) {}

  private async refund(trx: Knex.Transaction, order: OrderRow): Promise<PaymentRow | undefined> {
    const payment = await this.deps.orders.chargedPayment(trx, order.id);
    if (!payment?.provider_reference) return undefined;
    const refund = await this.deps.provider
      .refund({ reference: payment.provider_reference, amountCents: toCents(payment.amount), currency: payment.currency })
      .catch((error: unknown) => {
        throw providerFailure(error);
      });
    return this.deps.orders.markRefunded(trx, payment.id, refund.reference);
  }

  async apply(trx: Knex.Transaction, order: OrderRow, to: OrderStatus, actor: Actor, note = '', reason?: CancelReason): Promise<TransitionResult> {
    assertTransition(order.status, to);
    const items = await this.deps.orders.itemsOf([order.id], trx);
    const lines = items.flatMap((item) => (item.product_id === null ? [] : [{ productId: item.product_id, quantity: item.quantity }]));
    if (releasesStock(order.status, to)) await restoreStock(trx, lines);
    const refund = to === 'cancelled' && order.payment_status === 'paid' ? await this.refund(trx, order) : undefined;
    const paymentStatus: PaymentStatus = refund ? 'refunded' : order.payment_status;
    const cancel_reason = cancelReason(to, actor, reason);
    const updated = await this.deps.orders.update(trx, order.id, { status: to, payment_status: paymentStatus, ...(cancel_reason ? { cancel_reason } : {}) });
    await this.deps.orders.addEvent(trx, { order_id: order.id, from_status: order.status, to_status: to, actor_id: actor.id, actor_role: actor.role, note });
    await this.announce(trx, order, lines.map((line) => line.productId));
    await this.deps.events.announce(trx, updated, { from: order.status, refund });
    return { order: updated, refund };
  }

  /** Tells the listener that this order's status changed (payments call it too). */
  async announce(trx: Knex.Transaction, order: OrderRow, productIds: number[]): Promise<void> {
    if (this.deps.purchasesChanged && order.user_id !== null && productIds.length > 0) {
      await this.deps.purchasesChanged(trx, { userId: order.user_id, productIds });
    }
  }
}
