import request from 'supertest';
import type { TestApi } from '../../support/api';
import { bearer, type RegisteredUser } from '../../support/users';

/** The order object's keys, in the order nexus emits them (the old ones plus currency, address, tracking number, payment deadline and cancel reason). */
export const ORDER_KEYS = [
  'id',
  'user',
  'user_email',
  'status',
  'payment_status',
  'total_amount',
  'currency',
  'shipping_address',
  'tracking_number',
  'payment_due_at',
  'cancel_reason',
  'created_at',
  'updated_at',
  'items',
];
export const ORDER_ITEM_KEYS = ['id', 'product', 'product_id', 'product_title', 'quantity', 'unit_price', 'subtotal'];
export const PAYMENT_KEYS = ['id', 'amount', 'currency', 'method', 'provider', 'reference', 'status', 'failure_code', 'created_at'];
export const EVENT_KEYS = ['from_status', 'to_status', 'actor', 'actor_role', 'note', 'created_at'];

/**
 * For suites about something else than the unpaid-orders limit, whose one customer places many orders
 * without paying them (the limit has its own tests in order-expiry.test.ts).
 */
export const UNPAID_LIMIT_LIFTED = { ORDER_MAX_UNPAID: '1000' };

export const NO_ORDER = { detail: 'No Order matches the given query.', code: 'not_found' };

export const CREATE = '/api/v1/orders/create/';
export const order = (id: number) => `/api/v1/orders/${id}/`;
export const payment = (id: number) => `/api/v1/orders/${id}/payment/`;
export const confirm = (id: number) => `/api/v1/orders/${id}/payment/confirm/`;
export const cancel = (id: number) => `/api/v1/orders/${id}/cancel/`;
export const updateStatus = (id: number) => `/api/v1/orders/admin/${id}/update-status/`;
export const staffOrder = (id: number) => `/api/v1/orders/admin/${id}/`;

export interface OrderItemBody {
  id: number;
  product: { id: number; title: string; price: string; stock_quantity: number } | null;
  product_id: number | null;
  product_title: string;
  quantity: number;
  unit_price: string;
  subtotal: string;
}

export interface OrderBody {
  id: number;
  user: number | null;
  user_email: string;
  status: string;
  payment_status: string;
  total_amount: string;
  currency: string;
  shipping_address: Record<string, string> | null;
  tracking_number: string;
  payment_due_at: string | null;
  cancel_reason: string | null;
  created_at: string;
  updated_at: string;
  items: OrderItemBody[];
}

/** The old tracking number: TRK plus the id on 8 digits. */
export function trackingNumber(id: number): string {
  return `TRK${String(id).padStart(8, '0')}`;
}

/** Places an order through the API and expects the 201. */
export async function placeOrder(api: TestApi, user: RegisteredUser, body: Record<string, unknown>): Promise<OrderBody> {
  const response = await request(api.app).post(CREATE).set(bearer(user.access)).send(body);
  if (response.status !== 201) throw new Error(`order failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as OrderBody;
}

/** Pays an order with the success card through the API and expects the 200. */
export async function payOrder(api: TestApi, user: RegisteredUser, orderId: number): Promise<void> {
  const response = await request(api.app)
    .post(payment(orderId))
    .set(bearer(user.access))
    .send({ payment_method: 'card', payment_details: { card_number: '4242424242424242' } });
  if (response.status !== 200) throw new Error(`payment failed: ${response.status} ${JSON.stringify(response.body)}`);
}

/** Moves an order as staff and expects the 200. */
export async function setStatus(api: TestApi, staff: RegisteredUser, orderId: number, status: string, note?: string): Promise<OrderBody> {
  const response = await request(api.app)
    .patch(updateStatus(orderId))
    .set(bearer(staff.access))
    .send(note === undefined ? { status } : { status, note });
  if (response.status !== 200) throw new Error(`update-status ${status} failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as OrderBody;
}

/** Adds to the cart through the API and expects the 201. */
export async function addToCart(api: TestApi, user: RegisteredUser, productId: number, quantity: number): Promise<void> {
  const response = await request(api.app).post('/api/v1/cart/add/').set(bearer(user.access)).send({ product_id: productId, quantity });
  if (response.status !== 201) throw new Error(`add to cart failed: ${response.status} ${JSON.stringify(response.body)}`);
}

/** The user's cart lines straight from the database, as {product_id: quantity}. */
export async function cartLines(api: TestApi, userId: number): Promise<Record<number, number>> {
  const rows = await api
    .db('cart_items as i')
    .join('carts as c', 'c.id', 'i.cart_id')
    .where('c.user_id', userId)
    .orderBy('i.id')
    .select<{ product_id: number; quantity: number }[]>('i.product_id', 'i.quantity');
  return Object.fromEntries(rows.map((row) => [row.product_id, row.quantity]));
}

export async function stockOf(api: TestApi, productId: number): Promise<number> {
  const row = await api.db('products').where({ id: productId }).first<{ stock_quantity: number }>('stock_quantity');
  return row.stock_quantity;
}

/** Stock of several products at once, as {product_id: stock}. */
export async function stocks(api: TestApi, productIds: number[]): Promise<Record<number, number>> {
  const rows = await api.db('products').whereIn('id', productIds).select<{ id: number; stock_quantity: number }[]>('id', 'stock_quantity');
  return Object.fromEntries(rows.map((row) => [row.id, row.stock_quantity]));
}

export async function countRows(api: TestApi, table: string, where: Record<string, unknown> = {}): Promise<number> {
  const [row] = await api.db(table).where(where).count<{ n: number }[]>({ n: '*' });
  return Number(row?.n ?? 0);
}

export async function ordersOf(api: TestApi, userId: number): Promise<number> {
  return countRows(api, 'orders', { user_id: userId });
}

export interface PaymentRecord {
  id: number;
  order_id: number;
  amount: string;
  currency: string;
  method: string;
  provider: string;
  provider_reference: string | null;
  status: string;
  failure_code: string | null;
  refund_reference: string | null;
  refunded_at: string | null;
}

export async function paymentsOf(api: TestApi, orderId: number): Promise<PaymentRecord[]> {
  return api.db('payments').where({ order_id: orderId }).orderBy('id').select<PaymentRecord[]>('*');
}

export interface EventRecord {
  from_status: string | null;
  to_status: string;
  actor_id: number | null;
  actor_role: string;
  note: string;
}

export async function eventsOf(api: TestApi, orderId: number): Promise<EventRecord[]> {
  return api.db('order_events').where({ order_id: orderId }).orderBy('id').select<EventRecord[]>('from_status', 'to_status', 'actor_id', 'actor_role', 'note');
}

export async function statusOf(api: TestApi, orderId: number): Promise<{ status: string; payment_status: string }> {
  return api.db('orders').where({ id: orderId }).first<{ status: string; payment_status: string }>('status', 'payment_status');
}

/** An inline shipping address that passes validation. */
export function shippingInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    first_name: 'Ada',
    last_name: 'Lovelace',
    address_line_1: '12 Analytical Row',
    address_line_2: 'Flat 3',
    city: 'London',
    postal_code: 'N1 9GU',
    country: 'United Kingdom',
    phone_number: '+44 20 7946 0000',
    ...overrides,
  };
}

