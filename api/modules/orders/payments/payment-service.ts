import type { Knex } from 'knex';
import type { ShopMetrics } from '../../../infra/metrics';
import { AppError, ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../../../errors';
import { formatCents, toCents } from '../../cart';
import type { OrderRepository } from '../repository';
import type { PaymentInput, PaymentView } from '../schemas';
import { paymentView } from '../serializers';
import { invalidTransition } from '../state-machine';
import type { OrderExpiry } from '../expiry';
import type { OrderRow } from '../model';
import { providerFailure, type OrderTransitions } from '../transitions';
import type { OrderEvents } from '../order-events';
import type { OrderViews } from '../views';
import { CARD_EXPIRED, cardInBody, hasExpired } from './card-details';
import { isCardMethod, type PaymentProvider } from './provider';

export const NO_ORDER = 'No Order matches the given query.';
const ALREADY_PAID = 'Order already paid.';

/** `{"non_field_errors": [message]}`, inside `payment_details` when the card was sent there. */
function nestedError(path: string[], message: string): FieldErrors {
  const errors: FieldErrors = { non_field_errors: [message] };
  return path.length === 0 ? errors : { [path[0] as string]: errors };
}

export interface PaymentServiceDeps {
  orders: OrderRepository;
  views: OrderViews;
  provider: PaymentProvider;
  transitions: OrderTransitions;
  expiry: OrderExpiry;
  events: OrderEvents;
  /** Clock in milliseconds: card expiry is judged against it. */
  now: () => number;
  /** Counts charges by outcome. */
  metrics?: Pick<ShopMetrics, 'paymentAttempt'>;
}

const EXPIRED = 'This order was not paid before its deadline and has been cancelled; its items are no longer reserved. Nothing was charged: place a new order.';

/** 409 for a payment after the deadline: the order was cancelled and nothing is charged. Answered, not thrown, so the expiry commits. */
export function orderExpired(paymentDueAt: string | null): AppError {
  return new AppError({ status: 409, code: 'order_expired', detail: EXPIRED, extra: { error: EXPIRED, payment_due_at: paymentDueAt } });
}

function expiredReply(order: OrderRow): { status: number; body: unknown } {
  const expired = orderExpired(order.payment_due_at);
  return { status: expired.status, body: expired.toBody() };
}

/** 402 for a declined card, with the recorded attempt; the order stays payable. Answered, so the attempt is kept. */
export function paymentDeclined(message: string, declineCode: string, payment: PaymentView): AppError {
  return new AppError({ status: 402, code: 'payment_declined', detail: message, extra: { error: message, decline_code: declineCode, payment } });
}

export function alreadyPaid(): ConflictError {
  return new ConflictError(ALREADY_PAID, 'already_paid', { error: ALREADY_PAID });
}

export function paymentRequired(refunded: boolean): ConflictError {
  const detail = refunded ? 'This order\'s payment was refunded.' : 'This order has no successful payment: pay it first.';
  return new ConflictError(detail, 'payment_required', { error: detail });
}

/**
 * Charges an order through the provider. The order row stays locked from the checks to the status change, so
 * two payments of one order run one after the other and the second finds it paid; a unique index on
 * successful payments per order backs this up. A decline is recorded and answered (402) without an error,
 * so the attempt is kept; a provider failure rolls everything back.
 */
export class PaymentService {
  constructor(private readonly deps: PaymentServiceDeps) {}

  async pay(trx: Knex.Transaction, customerId: number, orderId: number, input: PaymentInput, mediaBase: string): Promise<{ status: number; body: unknown }> {
    // The one card check that needs the clock; the body schema made the others (card-details.ts).
    const sent = cardInBody(input);
    if (sent && hasExpired(sent.card, new Date(this.deps.now()))) throw new ValidationError(nestedError(sent.path, CARD_EXPIRED));
    const card = sent && isCardMethod(input.payment_method) ? sent.card : undefined;
    const order = await this.deps.orders.lock(trx, orderId, customerId);
    if (!order) throw new NotFoundError(NO_ORDER);
    // Only a paid order is "already paid": a refunded one is cancelled, and says so below.
    if (order.payment_status === 'paid') throw alreadyPaid();
    // Too late: the order is expired here and now (answered, not thrown, so the expiry commits) and nothing is charged.
    if (order.payment_overdue) return expiredReply(await this.deps.expiry.expireLocked(trx, order));
    if (order.status === 'cancelled' && order.cancel_reason === 'payment_timeout') return expiredReply(order);
    if (order.status !== 'pending') throw invalidTransition(order.status, 'paid', `Cannot pay an order that is ${order.status}.`);
    const totalCents = toCents(order.total_amount);
    if (input.amount !== undefined && toCents(input.amount) !== totalCents) {
      throw ValidationError.field('amount', `Must equal the order total, ${formatCents(totalCents)}.`);
    }

    const charge = await this.deps.provider
      .charge({
        orderId: order.id,
        amountCents: totalCents,
        currency: order.currency,
        method: input.payment_method,
        cardNumber: card?.card_number,
        expiry: card?.expiry_month !== undefined && card.expiry_year !== undefined ? { month: card.expiry_month, year: card.expiry_year } : undefined,
        cvv: card?.cvv,
      })
      .catch((error: unknown) => {
        this.deps.metrics?.paymentAttempt('error');
        throw providerFailure(error);
      });
    // The provider has answered: the attempt happened, whatever becomes of this transaction.
    this.deps.metrics?.paymentAttempt(charge.status);
    const payment = await this.deps.orders.insertPayment(trx, {
      order_id: order.id,
      amount: order.total_amount,
      currency: order.currency,
      method: input.payment_method,
      provider: this.deps.provider.name,
      provider_reference: charge.reference,
      status: charge.status,
      failure_code: charge.status === 'declined' ? charge.declineCode : null,
    });
    if (charge.status === 'declined') {
      const declined = paymentDeclined(charge.message, charge.declineCode, paymentView(payment));
      return { status: declined.status, body: declined.toBody() };
    }

    const paid = await this.deps.orders.update(trx, order.id, { status: 'paid', payment_status: 'paid' });
    await this.deps.orders.addEvent(trx, {
      order_id: order.id,
      from_status: 'pending',
      to_status: 'paid',
      actor_id: customerId,
      actor_role: 'customer',
      note: `${input.payment_method} payment ${charge.reference}`,
    });
    const items = await this.deps.orders.itemsOf([order.id], trx);
    await this.deps.transitions.announce(trx, paid, items.flatMap((item) => (item.product_id === null ? [] : [item.product_id])));
    await this.deps.events.announce(trx, paid, { from: 'pending' });
    return {
      status: 200,
      body: {
        message: 'Payment processed successfully.',
        payment_method: input.payment_method,
        payment: paymentView(payment),
        order: await this.deps.views.one(trx, paid, mediaBase),
      },
    };
  }

  /** The old "confirm" step, now a check: it answers for a paid order and refuses one without a payment. */
  async confirm(db: Knex, customerId: number, orderId: number, mediaBase: string): Promise<{ message: string; order: unknown }> {
    const order = await this.deps.orders.find(orderId, customerId, db);
    if (!order) throw new NotFoundError(NO_ORDER);
    if (order.payment_status === 'paid') return { message: 'Payment confirmed.', order: await this.deps.views.one(db, order, mediaBase) };
    throw paymentRequired(order.payment_status === 'refunded');
  }
}
