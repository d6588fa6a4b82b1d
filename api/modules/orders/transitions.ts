import type { Knex } from 'knex';
import { AppError } from '../../errors';
import { restoreStock } from '../catalog';
import type { ActorRole, OrderRow } from './model';
import { PaymentProviderError, type PaymentProvider } from './payments/provider';
import type { OrderRepository } from './repository';
import { toCents } from '../cart';
import { assertTransition, releasesStock, type OrderStatus, type PaymentStatus } from './state-machine';

export interface Actor {
  id: number | null;
  role: ActorRole;
}

export function providerFailure(error: unknown): unknown {
  if (!(error instanceof PaymentProviderError)) return error;
  return new AppError({ status: 502, code: 'payment_provider_error', detail: `${error.message} Nothing was changed; try again later.`, cause: error });
}

/**
 * Moves a locked order to another status with everything that goes with it: stock returned when a pending,
 * paid or processing order is cancelled or fails, the charge refunded when a paid order is cancelled, and
 * an event recording who did it. Runs inside the caller's transaction, so a failed refund changes nothing.
 */
export class OrderTransitions {
  constructor(private readonly deps: { orders: OrderRepository; provider: PaymentProvider }) {}

  private async refund(trx: Knex.Transaction, order: OrderRow): Promise<PaymentStatus> {
    const payment = await this.deps.orders.chargedPayment(trx, order.id);
    if (!payment?.provider_reference) return order.payment_status;
    const refund = await this.deps.provider
      .refund({ reference: payment.provider_reference, amountCents: toCents(payment.amount), currency: payment.currency })
      .catch((error: unknown) => {
        throw providerFailure(error);
      });
    await this.deps.orders.markRefunded(trx, payment.id, refund.reference);
    return 'refunded';
  }

  async apply(trx: Knex.Transaction, order: OrderRow, to: OrderStatus, actor: Actor, note = ''): Promise<OrderRow> {
    assertTransition(order.status, to);
    if (releasesStock(order.status, to)) {
      const items = await this.deps.orders.itemsOf([order.id], trx);
      await restoreStock(trx, items.flatMap((item) => (item.product_id === null ? [] : [{ productId: item.product_id, quantity: item.quantity }])));
    }
    const paymentStatus = to === 'cancelled' && order.payment_status === 'paid' ? await this.refund(trx, order) : order.payment_status;
    const updated = await this.deps.orders.update(trx, order.id, { status: to, payment_status: paymentStatus });
    await this.deps.orders.addEvent(trx, { order_id: order.id, from_status: order.status, to_status: to, actor_id: actor.id, actor_role: actor.role, note });
    return updated;
  }
}
