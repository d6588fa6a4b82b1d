import type { Knex } from 'knex';
import type { Ordering } from '../../http/ordering';
import type { ActorRole, CancelReason, OrderEventRow, OrderItemRow, OrderRow, PaymentRow, ShippingAddress } from './model';
import type { OrderStatus, PaymentStatus } from './state-machine';

export interface OrderFilters {
  userId?: number;
  status?: OrderStatus;
  createdFrom?: string;
  createdTo?: string;
}

export interface NewOrder {
  user_id: number;
  user_email: string;
  total_amount: string;
  currency: string;
  shipping_address: ShippingAddress | null;
}

/** Which overdue orders to expire: one order, one customer's, those holding some products, or all. */
export interface OverdueScope {
  orderId?: number;
  userId?: number;
  productIds?: number[];
}

export interface OrderChange {
  status?: OrderStatus;
  payment_status?: PaymentStatus;
  cancel_reason?: CancelReason | null;
}

/** Pending and past its payment deadline, by the database's clock (the same for every API process). */
const OVERDUE = "status = 'pending' AND payment_due_at <= now()";

export type NewOrderItem = Omit<OrderItemRow, 'id'>;

export interface NewEvent {
  order_id: number;
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  actor_id: number | null;
  actor_role: ActorRole;
  note: string;
}

type Db = Knex | Knex.Transaction;

/** Order, line, event and payment queries. Reads by a customer always name the owner. */
export class OrderRepository {
  constructor(private readonly db: Knex) {}

  /** @param paymentSeconds how long the order's stock stays reserved for its payment */
  async insertOrder(trx: Knex.Transaction, order: NewOrder, paymentSeconds: number): Promise<OrderRow> {
    const [row] = await trx('orders')
      .insert({
        ...order,
        shipping_address: order.shipping_address && JSON.stringify(order.shipping_address),
        payment_due_at: trx.raw('now() + make_interval(secs => ?)', [paymentSeconds]),
      })
      .returning<OrderRow[]>('*');
    return row as OrderRow;
  }

  async insertItems(trx: Knex.Transaction, items: NewOrderItem[]): Promise<OrderItemRow[]> {
    return trx('order_items').insert(items).returning<OrderItemRow[]>('*');
  }

  async addEvent(trx: Knex.Transaction, event: NewEvent): Promise<void> {
    await trx('order_events').insert(event);
  }

  /** The order, row-locked until the transaction ends: status changes on one order are serialised. */
  async lock(trx: Knex.Transaction, id: number, ownerId?: number): Promise<OrderRow | undefined> {
    const query = trx('orders').where({ id }).select('*', trx.raw(`${OVERDUE} AS payment_overdue`)).forUpdate();
    if (ownerId !== undefined) query.andWhere({ user_id: ownerId });
    return query.first<OrderRow | undefined>();
  }

  async update(trx: Knex.Transaction, id: number, change: OrderChange): Promise<OrderRow> {
    const [row] = await trx('orders').where({ id }).update({ ...change, updated_at: trx.fn.now() }).returning<OrderRow[]>('*');
    return row as OrderRow;
  }

  async find(id: number, ownerId?: number, db: Db = this.db): Promise<OrderRow | undefined> {
    const query = db('orders').where({ id }).select('*', db.raw(`${OVERDUE} AS payment_overdue`));
    if (ownerId !== undefined) query.andWhere({ user_id: ownerId });
    return query.first<OrderRow | undefined>();
  }

  private filtered(filters: OrderFilters): Knex.QueryBuilder {
    const query = this.db('orders');
    if (filters.userId !== undefined) query.where({ user_id: filters.userId });
    if (filters.status !== undefined) query.where({ status: filters.status });
    if (filters.createdFrom !== undefined) query.where('created_at', '>=', filters.createdFrom);
    if (filters.createdTo !== undefined) query.where('created_at', '<', filters.createdTo);
    return query;
  }

  async count(filters: OrderFilters): Promise<number> {
    const [row] = await this.filtered(filters).count<{ count: number }[]>({ count: '*' });
    return row?.count ?? 0;
  }

  async list(filters: OrderFilters, ordering: Ordering, limit: number, offset: number): Promise<OrderRow[]> {
    return this.filtered(filters)
      .orderBy([{ column: ordering.column, order: ordering.direction }, { column: 'id', order: ordering.direction }])
      .limit(limit)
      .offset(offset)
      .select<OrderRow[]>('*', this.db.raw(`${OVERDUE} AS payment_overdue`));
  }

  /** Whether any order in scope is past its payment deadline (an index-only probe, cheap to run before a read). */
  async hasOverdue(scope: OverdueScope): Promise<boolean> {
    const row: unknown = await this.overdue(this.db, scope).first('id');
    return row !== undefined;
  }

  /**
   * The next overdue order in scope, row-locked; orders another process holds are skipped, so several
   * processes sweeping at once each take different orders and none is expired twice.
   */
  async lockNextOverdue(trx: Knex.Transaction, scope: OverdueScope): Promise<OrderRow | undefined> {
    return this.overdue(trx, scope).orderBy('payment_due_at').forUpdate().skipLocked().first<OrderRow | undefined>('*');
  }

  private overdue(db: Db, scope: OverdueScope): Knex.QueryBuilder {
    const query = db('orders').whereRaw(OVERDUE);
    if (scope.orderId !== undefined) query.where({ id: scope.orderId });
    if (scope.userId !== undefined) query.where({ user_id: scope.userId });
    if (scope.productIds !== undefined) query.whereIn('id', db('order_items').select('order_id').whereIn('product_id', scope.productIds));
    return query;
  }

  /**
   * Serialises one customer's checkouts until the transaction ends, so that two concurrent checkouts cannot
   * both pass the unpaid-orders limit.
   */
  async lockCustomerCheckouts(trx: Knex.Transaction, userId: number): Promise<void> {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtextextended('checkout:' || ?::text, 0))", [userId]);
  }

  /** The customer's orders still waiting for payment within their deadline. */
  async countAwaitingPayment(trx: Knex.Transaction, userId: number): Promise<number> {
    const [row] = await trx('orders')
      .where({ user_id: userId, status: 'pending' })
      .andWhereRaw('payment_due_at > now()')
      .count<{ count: number }[]>({ count: '*' });
    return row?.count ?? 0;
  }

  async itemsOf(orderIds: number[], db: Db = this.db): Promise<OrderItemRow[]> {
    if (orderIds.length === 0) return [];
    return db('order_items').whereIn('order_id', orderIds).orderBy('id').select<OrderItemRow[]>('*');
  }

  async events(orderId: number, db: Db = this.db): Promise<OrderEventRow[]> {
    return db('order_events').where({ order_id: orderId }).orderBy('id').select<OrderEventRow[]>('*');
  }

  async insertPayment(trx: Knex.Transaction, payment: Omit<PaymentRow, 'id' | 'created_at' | 'refund_reference' | 'refunded_at'>): Promise<PaymentRow> {
    const [row] = await trx('payments').insert(payment).returning<PaymentRow[]>('*');
    return row as PaymentRow;
  }

  async chargedPayment(trx: Knex.Transaction, orderId: number): Promise<PaymentRow | undefined> {
    return trx('payments').where({ order_id: orderId, status: 'succeeded' }).first<PaymentRow | undefined>();
  }

  async markRefunded(trx: Knex.Transaction, paymentId: number, refundReference: string): Promise<PaymentRow> {
    const [row] = await trx('payments')
      .where({ id: paymentId })
      .update({ status: 'refunded', refund_reference: refundReference, refunded_at: trx.fn.now() })
      .returning<PaymentRow[]>('*');
    return row as PaymentRow;
  }

  async payments(orderId: number, db: Db = this.db): Promise<PaymentRow[]> {
    return db('payments').where({ order_id: orderId }).orderBy('id').select<PaymentRow[]>('*');
  }

  async hasPurchased(userId: number, productId: number, statuses: readonly OrderStatus[]): Promise<boolean> {
    const row: unknown = await this.db('order_items as i')
      .join('orders as o', 'o.id', 'i.order_id')
      .where({ 'o.user_id': userId, 'i.product_id': productId })
      .whereIn('o.status', statuses)
      .first('i.id');
    return row !== undefined;
  }
}
