import type { Knex } from 'knex';
import { allowedTransitions, invalidTransition, isAllowed, type OrderStatus } from './state-machine';
import type { Actor, AuditLog } from '../audit';
import { ConflictError, NotFoundError } from '../../errors';
import type { Checkout, Customer } from './checkout';
import type { OrderExpiry } from './expiry';
import { idempotent, type RequestDigest, type StoredReply } from './idempotency';
import type { OrderRow } from './model';
import { NO_ORDER, type PaymentService } from './payments/payment-service';
import { parseOrdering as parseWhitelisted, sameNameColumns, type Ordering } from '../../http/ordering';
import type { OrderFilters, OrderRepository } from './repository';
import { ORDER_ORDERING_FIELDS, type CreateOrderInput, type OrderView, type PaymentInput, type RefundView, type TrackingView } from './schemas';
import { eventView, paymentView, refundView, trackingView } from './serializers';
import type { OrderTransitions } from './transitions';
import type { OrderViews } from './views';

export interface OrderServiceDeps {
  db: Knex;
  /** Staff changes are audited in their own transaction. */
  audit: AuditLog;
  orders: OrderRepository;
  views: OrderViews;
  checkout: Checkout;
  payments: PaymentService;
  transitions: OrderTransitions;
  expiry: OrderExpiry;
  /** How request bodies are digested for idempotency keys (keyed: payment bodies hold card data). */
  digest: RequestDigest;
}

/** `?ordering=-total_amount`; unknown fields fall back to newest first, as DRF ignored them. */
const ORDER_COLUMNS = sameNameColumns(ORDER_ORDERING_FIELDS);

export function parseOrdering(value: string | undefined): Ordering {
  return parseWhitelisted(value, ORDER_COLUMNS, { column: 'created_at', direction: 'desc' });
}

/** Staff move orders through every status but `paid`, which only a payment reaches. */
const STAFF_CANNOT: readonly OrderStatus[] = ['paid'];

/** Why a customer cannot cancel an order in this status (409 `invalid_transition`). */
export function cancelRefusal(order: Pick<OrderRow, 'status'>): ConflictError {
  if (order.status === 'shipped') return invalidTransition('shipped', 'cancelled', 'Cannot cancel shipped order. Please contact customer service.');
  return invalidTransition(order.status, 'cancelled', `Cannot cancel order. Order is already ${order.status}.`);
}

/** Orders as customers and staff see and change them; every change goes through the state machine. */
export class OrderService {
  constructor(private readonly deps: OrderServiceDeps) {}

  async create(customer: Customer, input: CreateOrderInput, idempotencyKey: string | undefined, mediaBase: string): Promise<StoredReply> {
    const place = () =>
      idempotent(this.deps.db, this.deps.digest, { userId: customer.id, scope: 'orders.create', key: idempotencyKey, body: input }, async (trx) => {
        const { order } = await this.deps.checkout.place(trx, customer, input);
        return { status: 201, body: await this.deps.views.one(trx, order, mediaBase) };
      });
    try {
      return await place();
    } catch (error) {
      // Orders past their deadline may still hold the stock until the next sweep: release them now and try
      // once more, so that a checkout is refused only for stock that is really taken.
      const productId = error instanceof ConflictError && error.code === 'insufficient_stock' ? (error.extra?.product_id as number) : undefined;
      if (productId === undefined || (await this.deps.expiry.expireOverdue({ productIds: [productId] })) === 0) throw error;
      return place();
    }
  }

  pay(customerId: number, orderId: number, input: PaymentInput, idempotencyKey: string | undefined, mediaBase: string): Promise<StoredReply> {
    const request = { userId: customerId, scope: `orders.${orderId}.payment`, key: idempotencyKey, body: input };
    return idempotent(this.deps.db, this.deps.digest, request, (trx) => this.deps.payments.pay(trx, customerId, orderId, input, mediaBase));
  }

  confirm(customerId: number, orderId: number, mediaBase: string): Promise<{ message: string; order: unknown }> {
    return this.deps.payments.confirm(this.deps.db, customerId, orderId, mediaBase);
  }

  count(filters: OrderFilters): Promise<number> {
    return this.deps.orders.count(filters);
  }

  async list(filters: OrderFilters, ordering: Ordering, limit: number, offset: number, mediaBase: string): Promise<OrderView[]> {
    return this.deps.views.many(this.deps.db, await this.deps.orders.list(filters, ordering, limit, offset), mediaBase);
  }

  /** Run before counting and listing: the overdue orders of the listed customer (or, for staff, anyone's) are expired first. */
  settleOverdue(filters: OrderFilters): Promise<void> {
    return this.deps.expiry.settle({ userId: filters.userId });
  }

  /**
   * An order as it is now: one past its payment deadline is expired on the way (the sweep would within
   * seconds), so no reader ever sees a pending order that can no longer be paid.
   * @param ownerId the customer asking; omitted for staff
   */
  async find(orderId: number, ownerId?: number): Promise<OrderRow> {
    let order = await this.deps.orders.find(orderId, ownerId);
    if (order?.payment_overdue) {
      await this.deps.expiry.expireOverdue({ orderId });
      order = await this.deps.orders.find(orderId, ownerId);
    }
    if (!order) throw new NotFoundError(NO_ORDER);
    return order;
  }

  async view(orderId: number, ownerId: number, mediaBase: string): Promise<OrderView> {
    return this.deps.views.one(this.deps.db, await this.find(orderId, ownerId), mediaBase);
  }

  async track(orderId: number, ownerId: number): Promise<TrackingView> {
    const order = await this.find(orderId, ownerId);
    return trackingView(order, await this.deps.orders.events(order.id));
  }

  /** The customer's cancel: pending orders get their stock back, paid and processing ones are refunded too. */
  async cancel(customerId: number, orderId: number, mediaBase: string): Promise<{ order: OrderView; refund: RefundView | null }> {
    return this.deps.db.transaction(async (trx) => {
      const order = await this.deps.orders.lock(trx, orderId, customerId);
      if (!order) throw new NotFoundError(NO_ORDER);
      if (!['pending', 'paid', 'processing'].includes(order.status)) throw cancelRefusal(order);
      const { order: cancelled, refund } = await this.deps.transitions.apply(trx, order, 'cancelled', { id: customerId, role: 'customer' });
      return { order: await this.deps.views.one(trx, cancelled, mediaBase), refund: refund ? refundView(refund) : null };
    });
  }

  /** Staff drive the state machine; `paid` is reached only through a payment. Each change is audited. */
  async setStatus(staff: Actor & { id: number }, orderId: number, to: OrderStatus, note: string, mediaBase: string): Promise<OrderView> {
    return this.deps.db.transaction(async (trx) => {
      const order = await this.deps.orders.lock(trx, orderId);
      if (!order) throw new NotFoundError(NO_ORDER);
      if (to === 'paid') throw invalidTransition(order.status, to, 'An order becomes paid only through a payment.', STAFF_CANNOT);
      if (order.status === to) throw invalidTransition(order.status, to, `Order is already ${to}.`, STAFF_CANNOT);
      if (!isAllowed(order.status, to)) throw invalidTransition(order.status, to, undefined, STAFF_CANNOT);
      const { order: updated, refund } = await this.deps.transitions.apply(trx, order, to, { id: staff.id, role: 'staff' }, note);
      await this.deps.audit.record(trx, staff, {
        action: 'order.status_changed',
        resourceType: 'order',
        resourceId: order.id,
        before: { status: order.status, payment_status: order.payment_status },
        after: { status: updated.status, payment_status: updated.payment_status, ...(note ? { note } : {}), ...(refund ? { refund: refundView(refund) } : {}) },
      });
      return this.deps.views.one(trx, updated, mediaBase);
    });
  }

  /** The moves staff may make from a status (never `paid`: that is a payment's). */
  staffMoves(from: OrderStatus): OrderStatus[] {
    return allowedTransitions(from).filter((status) => !STAFF_CANNOT.includes(status));
  }

  /** Everything staff need about one order: lines, every event with its note, every payment attempt. */
  async staffView(orderId: number, mediaBase: string): Promise<OrderView & { events: unknown[]; payments: unknown[] }> {
    const order = await this.find(orderId);
    const [view, events, payments] = await Promise.all([
      this.deps.views.one(this.deps.db, order, mediaBase),
      this.deps.orders.events(order.id),
      this.deps.orders.payments(order.id),
    ]);
    return { ...view, events: events.map(eventView), payments: payments.map(paymentView) };
  }
}
