import request from 'supertest';
import type { TestApi } from '../../support/api';
import { bearer, type RegisteredUser } from '../../support/users';

/** The cart object's keys, in the old backend's order. */
export const CART_KEYS = ['id', 'user', 'created_at', 'items', 'total_price', 'total_items'];
/** A cart line's keys: the old four plus `available`. */
export const ITEM_KEYS = ['id', 'product', 'quantity', 'subtotal', 'available'];

export const NO_ITEM = { detail: 'No CartItem matches the given query.', code: 'not_found' };
export const NO_CART = { detail: 'No Cart matches the given query.', code: 'not_found' };
export const NOT_FOUND = { detail: 'Not found.', code: 'not_found' };

export interface CartLine {
  id: number;
  quantity: number;
  subtotal: number;
  available: boolean;
  product: { id: number; price: string; stock_quantity: number };
}

/** Adds through the API and expects the 201; returns the line. */
export async function addLine(api: TestApi, user: RegisteredUser, productId: number, quantity?: number): Promise<CartLine> {
  const response = await request(api.app)
    .post('/api/v1/cart/add/')
    .set(bearer(user.access))
    .send(quantity === undefined ? { product_id: productId } : { product_id: productId, quantity });
  if (response.status !== 201) throw new Error(`add failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as CartLine;
}

/** The user's cart lines straight from the database, as {product_id: quantity}. */
export async function storedLines(api: TestApi, userId: number): Promise<Record<number, number>> {
  const rows = await api
    .db('cart_items as i')
    .join('carts as c', 'c.id', 'i.cart_id')
    .where('c.user_id', userId)
    .orderBy('i.id')
    .select<{ product_id: number; quantity: number }[]>('i.product_id', 'i.quantity');
  return Object.fromEntries(rows.map((row) => [row.product_id, row.quantity]));
}

export async function cartCount(api: TestApi, userId: number): Promise<number> {
  const [row] = await api.db('carts').where({ user_id: userId }).count<{ n: number }[]>({ n: '*' });
  return Number(row?.n ?? 0);
}

/** Every status code in a batch of responses, counted: {201: 10, 409: 15}. */
export function statusTally(responses: request.Response[]): Record<number, number> {
  const tally: Record<number, number> = {};
  for (const response of responses) tally[response.status] = (tally[response.status] ?? 0) + 1;
  return tally;
}

/** One field of every object in a JSON list, e.g. `pluck(response.body.results, 'user')`. */
export function pluck(list: unknown, field: string): unknown[] {
  return (list as Record<string, unknown>[]).map((item) => item[field]);
}

/** The quantities of the lines returned by the responses that had `status`, in ascending order. */
export function quantitiesWith(responses: request.Response[], status: number): number[] {
  return responses
    .filter((response) => response.status === status)
    .map((response) => (response.body as CartLine).quantity)
    .sort((a, b) => a - b);
}
