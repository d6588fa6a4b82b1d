import type { Knex } from 'knex';
import request from 'supertest';
import { TEST_CARDS } from '../../../api/modules/orders';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, type CategoryRecord, type ProductRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { UNPAID_LIMIT_LIFTED } from './order-helpers';

/**
 * Orders, carts and payments racing each other through the app's own pool (DATABASE_POOL_MAX, 10 by default)
 * against real PostgreSQL. Every count below is exact: a lost update, an oversell, a second charge or a
 * deadlock (a 500) fails the test.
 */

const ORDERS = '/api/v1/orders/';
const CART_ADD = '/api/v1/cart/add/';
const PAY = { payment_method: 'credit_card', payment_details: { card_number: TEST_CARDS.success } };
/** Statuses whose order still holds its stock. */
const HOLDING = ['pending', 'paid', 'processing', 'shipped', 'delivered'];

interface OrderBody {
  id: number;
  status: string;
  payment_status: string;
  items: { product_id: number; quantity: number }[];
}

/** Every status code in a batch, counted: {201: 10, 409: 90}. */
function tally(responses: request.Response[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.status] = (counts[response.status] ?? 0) + 1;
  return counts;
}

function serverErrors(responses: request.Response[]): { status: number; body: unknown }[] {
  return responses.filter((response) => response.status >= 500).map((response) => ({ status: response.status, body: response.body as unknown }));
}

function times<T>(count: number, make: (index: number) => T): T[] {
  return Array.from({ length: count }, (_, index) => make(index));
}

describe('orders under concurrency', () => {
  let api: TestApi;
  let category: CategoryRecord;
  let staff: RegisteredUser;
  let shoppers: RegisteredUser[];

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', ...UNPAID_LIMIT_LIFTED });
    category = await insertCategory(api, { name: 'Rush hour', slug: 'rush-hour' });
    [staff, ...shoppers] = await Promise.all([registerStaff(api), ...times(20, () => registerUser(api))]);
  });
  afterAll(() => api.close());

  let productSequence = 0;
  const product = (stock: number, price = '5.00'): Promise<ProductRecord> => {
    productSequence += 1;
    return insertProduct(api, { title: `Hot item ${productSequence}`, category_id: category.id, stock_quantity: stock, price });
  };
  const shopper = (index: number): RegisteredUser => shoppers[index % shoppers.length] as RegisteredUser;

  const checkout = (user: RegisteredUser, body: Record<string, unknown>, key?: string) => {
    const call = request(api.app).post(ORDERS).set(bearer(user.access));
    return (key === undefined ? call : call.set('Idempotency-Key', key)).send(body);
  };
  const addToCart = (user: RegisteredUser, productId: number, quantity = 1) =>
    request(api.app).post(CART_ADD).set(bearer(user.access)).send({ product_id: productId, quantity });
  const pay = (user: RegisteredUser, orderId: number, key?: string) => {
    const call = request(api.app).post(`${ORDERS}${orderId}/payment/`).set(bearer(user.access));
    return (key === undefined ? call : call.set('Idempotency-Key', key)).send(PAY);
  };
  const cancel = (user: RegisteredUser, orderId: number) => request(api.app).post(`${ORDERS}${orderId}/cancel/`).set(bearer(user.access)).send();
  const setStatus = (orderId: number, status: string) =>
    request(api.app).patch(`${ORDERS}admin/${orderId}/update-status/`).set(bearer(staff.access)).send({ status });

  async function placeOrder(user: RegisteredUser, productId: number, quantity: number): Promise<OrderBody> {
    const response = await checkout(user, { items: [{ product_id: productId, quantity }] });
    if (response.status !== 201) throw new Error(`checkout failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as OrderBody;
  }

  async function paidOrder(user: RegisteredUser, productId: number, quantity: number): Promise<OrderBody> {
    const order = await placeOrder(user, productId, quantity);
    const response = await pay(user, order.id);
    if (response.status !== 200) throw new Error(`payment failed: ${response.status} ${JSON.stringify(response.body)}`);
    return order;
  }

  async function stockOf(productId: number): Promise<number> {
    const row = await api.db('products').where({ id: productId }).first<{ stock_quantity: number }>('stock_quantity');
    return row.stock_quantity;
  }

  /** Order lines of one product: how many, and the quantity still held by live (not cancelled or failed) orders. */
  async function linesOf(productId: number): Promise<{ lines: number; orders: number; held: number; ordered: number }> {
    const rows = await api
      .db('order_items as i')
      .join('orders as o', 'o.id', 'i.order_id')
      .where('i.product_id', productId)
      .select<{ order_id: number; quantity: number; status: string }[]>('i.order_id', 'i.quantity', 'o.status');
    return {
      lines: rows.length,
      orders: new Set(rows.map((row) => row.order_id)).size,
      ordered: rows.reduce((sum, row) => sum + row.quantity, 0),
      held: rows.filter((row) => HOLDING.includes(row.status)).reduce((sum, row) => sum + row.quantity, 0),
    };
  }

  async function countRows(query: Knex.QueryBuilder): Promise<number> {
    const [row] = await query.count<{ count: number }[]>({ count: '*' });
    return Number(row?.count ?? 0);
  }

  async function lastOrderId(): Promise<number> {
    const [row] = await api.db('orders').max<{ max: number | null }[]>({ max: 'id' });
    return row?.max ?? 0;
  }

  async function cartLines(userId: number): Promise<Record<number, number>> {
    const rows = await api
      .db('cart_items as i')
      .join('carts as c', 'c.id', 'i.cart_id')
      .where('c.user_id', userId)
      .select<{ product_id: number; quantity: number }[]>('i.product_id', 'i.quantity');
    return Object.fromEntries(rows.map((row) => [row.product_id, row.quantity]));
  }

  async function paymentsOf(orderId: number): Promise<{ id: number; status: string }[]> {
    return api.db('payments').where({ order_id: orderId }).orderBy('id').select('id', 'status');
  }

  async function eventsOf(orderId: number): Promise<string[]> {
    const rows = await api.db('order_events').where({ order_id: orderId }).orderBy('id').select<{ to_status: string }[]>('to_status');
    return rows.map((row) => row.to_status);
  }

  describe('checkout', () => {
    it('When 100 checkouts from 20 users race for a product with stock 10, then exactly 10 orders are placed and 90 get 409', async () => {
      const item = await product(10);
      const before = await lastOrderId();
      // 20 users × 5 requests, interleaved, through a pool of 10 connections: the rest must queue, not fail.
      const responses = await Promise.all(times(100, (index) => checkout(shopper(index), { items: [{ product_id: item.id, quantity: 1 }] })));

      expect(serverErrors(responses)).toEqual([]);
      expect(tally(responses)).toEqual({ 201: 10, 409: 90 });
      for (const response of responses.filter((candidate) => candidate.status === 409)) {
        expect(response.body).toMatchObject({ code: 'insufficient_stock', product_id: item.id, available: 0, requested: 1 });
      }
      const placed = responses.filter((response) => response.status === 201).map((response) => response.body as OrderBody);
      expect(new Set(placed.map((order) => order.id)).size).toBe(10);
      for (const order of placed) {
        expect(order.status).toBe('pending');
        expect(order.items).toEqual([expect.objectContaining({ product_id: item.id, quantity: 1 })]);
      }

      expect(await stockOf(item.id)).toBe(0);
      expect(await linesOf(item.id)).toEqual({ lines: 10, orders: 10, ordered: 10, held: 10 });
      // Nothing else was written: ten orders in all since the race began, ten lines, one creation event each.
      expect(await countRows(api.db('orders').where('id', '>', before))).toBe(10);
      expect(await countRows(api.db('order_items').where('order_id', '>', before))).toBe(10);
      expect(await countRows(api.db('order_events').where('order_id', '>', before))).toBe(10);
    });

    it('When two-line orders race naming the products in opposite orders, then nothing deadlocks and only the scarce product limits them', async () => {
      const scarce = await product(25);
      const plenty = await product(40);
      const responses = await Promise.all(
        times(60, (index) => {
          const lines = [
            { product_id: scarce.id, quantity: 1 },
            { product_id: plenty.id, quantity: 1 },
          ];
          return checkout(shopper(index), { items: index % 2 === 0 ? lines : lines.reverse() });
        }),
      );

      expect(serverErrors(responses)).toEqual([]);
      expect(tally(responses)).toEqual({ 201: 25, 409: 35 });
      for (const response of responses.filter((candidate) => candidate.status === 409)) {
        expect(response.body).toMatchObject({ code: 'insufficient_stock', product_id: scarce.id, available: 0 });
      }
      // All lines or none: the refused orders gave back what they had taken of the plentiful product.
      expect(await stockOf(scarce.id)).toBe(0);
      expect(await stockOf(plenty.id)).toBe(15);
      expect(await linesOf(scarce.id)).toEqual({ lines: 25, orders: 25, ordered: 25, held: 25 });
      expect(await linesOf(plenty.id)).toEqual({ lines: 25, orders: 25, ordered: 25, held: 25 });
    });

    it('When mixed-quantity orders over three products race in every order, then each product keeps stock + ordered = initial', async () => {
      const initial = [17, 23, 19];
      const products = await Promise.all(initial.map((stock) => product(stock)));
      const orders = times(80, (index) => {
        const lines = products.map((item, position) => ({ product_id: item.id, quantity: ((index + position) % 3) + 1 }));
        // Rotate and sometimes reverse, so that the requests name the products in all sorts of orders.
        const rotated = [...lines.slice(index % 3), ...lines.slice(0, index % 3)];
        return index % 2 === 0 ? rotated : rotated.reverse();
      });
      const responses = await Promise.all(orders.map((items, index) => checkout(shopper(index), { items })));

      expect(serverErrors(responses)).toEqual([]);
      for (const response of responses.filter((candidate) => candidate.status !== 201)) {
        expect(response.status).toBe(409);
        expect((response.body as { code: string }).code).toBe('insufficient_stock');
      }
      const placed = responses.filter((response) => response.status === 201).length;
      for (const [position, item] of products.entries()) {
        const stock = await stockOf(item.id);
        const lines = await linesOf(item.id);
        expect(stock).toBeGreaterThanOrEqual(0);
        expect(stock + lines.ordered).toBe(initial[position]);
        expect(lines.orders).toBe(placed);
      }
      // Every successful order carries all three of its lines with the quantities asked for.
      for (const [index, response] of responses.entries()) {
        if (response.status !== 201) continue;
        const asked = Object.fromEntries((orders[index] ?? []).map((line) => [line.product_id, line.quantity]));
        const got = Object.fromEntries((response.body as OrderBody).items.map((line) => [line.product_id, line.quantity]));
        expect(got).toEqual(asked);
      }
    });

    it('When ten creations share one Idempotency-Key and body, then one order is placed and all ten answer with it', async () => {
      const item = await product(20);
      const user = shopper(0);
      const body = { items: [{ product_id: item.id, quantity: 2 }] };
      const responses = await Promise.all(times(10, () => checkout(user, body, 'checkout-race-1')));

      expect(serverErrors(responses)).toEqual([]);
      expect(tally(responses)).toEqual({ 201: 10 });
      const ids = new Set(responses.map((response) => (response.body as OrderBody).id));
      expect(ids.size).toBe(1);
      const first = responses.find((response) => response.headers['idempotent-replayed'] === undefined);
      for (const response of responses) expect(response.body).toEqual(first?.body);
      expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
      expect(await stockOf(item.id)).toBe(18);
      expect(await linesOf(item.id)).toEqual({ lines: 1, orders: 1, ordered: 2, held: 2 });
      expect(await api.db('idempotency_keys').where({ user_id: user.id, key: 'checkout-race-1' })).toHaveLength(1);
    });
  });

  describe('cart', () => {
    it('When one user sends 50 concurrent adds of 1, then the cart has one line of exactly 50', async () => {
      const user = await registerUser(api);
      const item = await product(1000);
      const responses = await Promise.all(times(50, () => addToCart(user, item.id)));

      expect(tally(responses)).toEqual({ 201: 50 });
      expect(new Set(responses.map((response) => (response.body as { id: number }).id)).size).toBe(1);
      expect(await api.db('carts').where({ user_id: user.id })).toHaveLength(1);
      expect(await cartLines(user.id)).toEqual({ [item.id]: 50 });
      expect(await stockOf(item.id)).toBe(1000);
    });

    it('When adds race a checkout of the cart, then every unit is either in the order or still in the cart', async () => {
      for (let round = 0; round < 3; round += 1) {
        const user = await registerUser(api);
        const item = await product(1000);
        expect((await addToCart(user, item.id, 10)).status).toBe(201);
        const adds = times(30, () => addToCart(user, item.id));
        const responses = await Promise.all([checkout(user, {}), ...adds.slice(0, 15), checkout(user, {}), ...adds.slice(15)]);

        expect(serverErrors(responses)).toEqual([]);
        const orders = [responses[0], responses[16]] as request.Response[];
        const added = responses.filter((response) => response !== orders[0] && response !== orders[1]);
        expect(tally(added)).toEqual({ 201: 30 });
        // The two checkouts of one cart: the first orders what it finds; the second finds the cart emptied (400)
        // unless adds refilled it in between, in which case it orders only what was added since.
        const placed = orders.filter((response) => response.status === 201).map((response) => response.body as OrderBody);
        for (const response of orders.filter((candidate) => candidate.status !== 201)) {
          expect(response.status).toBe(400);
          expect(response.body).toMatchObject({ code: 'invalid', items: [expect.stringContaining('cart is empty')] });
        }
        const ordered = placed.reduce((sum, order) => sum + (order.items[0]?.quantity ?? 0), 0);
        const inCart = (await cartLines(user.id))[item.id] ?? 0;
        expect(ordered + inCart).toBe(40);
        expect(await stockOf(item.id)).toBe(1000 - ordered);
        expect((await linesOf(item.id)).ordered).toBe(ordered);
      }
    });

    it('When the same cart is checked out five times at once, then it is ordered once and the others find it empty', async () => {
      const user = await registerUser(api);
      const item = await product(100);
      expect((await addToCart(user, item.id, 5)).status).toBe(201);
      const responses = await Promise.all(times(5, () => checkout(user, {})));

      expect(serverErrors(responses)).toEqual([]);
      expect(tally(responses)).toEqual({ 201: 1, 400: 4 });
      expect(await stockOf(item.id)).toBe(95);
      expect(await linesOf(item.id)).toEqual({ lines: 1, orders: 1, ordered: 5, held: 5 });
      expect(await cartLines(user.id)).toEqual({});
    });

    it('When adds and checkouts race for the last units, then nobody gets a 5xx and no unit is sold twice', async () => {
      for (let round = 0; round < 3; round += 1) {
        const item = await product(5);
        const [buyer, rival, ...others] = (await Promise.all(times(5, () => registerUser(api)))) as [RegisteredUser, RegisteredUser, ...RegisteredUser[]];
        expect((await addToCart(buyer, item.id, 5)).status).toBe(201);
        const responses = await Promise.all([
          addToCart(rival, item.id, 2),
          checkout(buyer, {}),
          ...others.map((other) => addToCart(other, item.id, 3)),
          ...others.map((other) => checkout(other, { items: [{ product_id: item.id, quantity: 1 }] })),
          addToCart(rival, item.id, 2),
        ]);

        expect(serverErrors(responses)).toEqual([]);
        for (const response of responses.filter((candidate) => candidate.status >= 400)) {
          expect(response.status).toBe(409);
          expect((response.body as { code: string }).code).toBe('insufficient_stock');
        }
        const stock = await stockOf(item.id);
        expect(stock).toBeGreaterThanOrEqual(0);
        expect(stock + (await linesOf(item.id)).ordered).toBe(5);
        // The buyer's cart was ordered whole or left whole; the rival's holds exactly its accepted adds.
        const [rivalFirst, buyerCheckout] = responses;
        const rivalLast = responses.at(-1);
        expect(await cartLines(buyer.id)).toEqual(buyerCheckout?.status === 201 ? {} : { [item.id]: 5 });
        const rivalAdded = [rivalFirst, rivalLast].filter((response) => response?.status === 201).length * 2;
        expect(await cartLines(rival.id)).toEqual(rivalAdded === 0 ? {} : { [item.id]: rivalAdded });
      }
    });
  });

  describe('payment', () => {
    it('When one pending order is paid 20 times at once without a key, then it is charged once and 19 get 409 already_paid', async () => {
      const item = await product(50, '12.50');
      const user = shopper(1);
      const order = await placeOrder(user, item.id, 2);
      const responses = await Promise.all(times(20, () => pay(user, order.id)));

      expect(serverErrors(responses)).toEqual([]);
      expect(tally(responses)).toEqual({ 200: 1, 409: 19 });
      for (const response of responses.filter((candidate) => candidate.status === 409)) {
        expect(response.body).toMatchObject({ code: 'already_paid', detail: 'Order already paid.' });
      }
      const payments = await paymentsOf(order.id);
      expect(payments).toEqual([{ id: expect.any(Number), status: 'succeeded' }]);
      const winner = responses.find((response) => response.status === 200);
      expect(winner?.body.payment.id).toBe(payments[0]?.id);
      expect(await api.db('orders').where({ id: order.id }).first('status', 'payment_status')).toEqual({ status: 'paid', payment_status: 'paid' });
      expect(await eventsOf(order.id)).toEqual(['pending', 'paid']);
    });

    it('When one Idempotency-Key is sent with 20 concurrent payments, then all get the same 200 and there is one charge', async () => {
      const item = await product(50, '7.25');
      const user = shopper(2);
      const order = await placeOrder(user, item.id, 3);
      const responses = await Promise.all(times(20, () => pay(user, order.id, 'pay-race-1')));

      expect(serverErrors(responses)).toEqual([]);
      expect(tally(responses)).toEqual({ 200: 20 });
      const replayed = responses.filter((response) => response.headers['idempotent-replayed'] === 'true');
      expect(replayed).toHaveLength(19);
      const first = responses.find((response) => response.headers['idempotent-replayed'] === undefined);
      for (const response of responses) expect(response.body).toEqual(first?.body);
      const payments = await paymentsOf(order.id);
      expect(payments).toEqual([{ id: expect.any(Number), status: 'succeeded' }]);
      expect(first?.body.payment.id).toBe(payments[0]?.id);
      expect(await eventsOf(order.id)).toEqual(['pending', 'paid']);
    });
  });

  describe('cancellation', () => {
    it('When a pending order is cancelled ten times at once, then one cancel wins and the stock comes back once', async () => {
      const item = await product(10);
      const user = shopper(3);
      const order = await placeOrder(user, item.id, 3);
      expect(await stockOf(item.id)).toBe(7);
      const responses = await Promise.all(times(10, () => cancel(user, order.id)));

      expect(serverErrors(responses)).toEqual([]);
      expect(tally(responses)).toEqual({ 200: 1, 409: 9 });
      for (const response of responses.filter((candidate) => candidate.status === 409)) {
        expect(response.body).toMatchObject({ code: 'invalid_transition', status: 'cancelled', requested: 'cancelled', allowed: [] });
      }
      expect(await stockOf(item.id)).toBe(10);
      expect(await eventsOf(order.id)).toEqual(['pending', 'cancelled']);
      expect(await api.db('orders').where({ id: order.id }).first('status', 'payment_status')).toEqual({ status: 'cancelled', payment_status: 'unpaid' });
    });

    it('When a paid order is cancelled ten times at once, then it is refunded once and the stock comes back once', async () => {
      const item = await product(10);
      const user = shopper(4);
      const order = await paidOrder(user, item.id, 3);
      const responses = await Promise.all(times(10, () => cancel(user, order.id)));

      expect(serverErrors(responses)).toEqual([]);
      expect(tally(responses)).toEqual({ 200: 1, 409: 9 });
      for (const response of responses.filter((candidate) => candidate.status === 409)) {
        expect((response.body as { code: string }).code).toBe('invalid_transition');
      }
      expect(await stockOf(item.id)).toBe(10);
      expect(await paymentsOf(order.id)).toEqual([{ id: expect.any(Number), status: 'refunded' }]);
      expect(await api.db('orders').where({ id: order.id }).first('status', 'payment_status')).toEqual({ status: 'cancelled', payment_status: 'refunded' });
      expect(await eventsOf(order.id)).toEqual(['pending', 'paid', 'cancelled']);
    });

    it('When staff cancel and the customer cancels at once, then exactly one of them cancels', async () => {
      const item = await product(10);
      const user = shopper(5);
      for (let round = 0; round < 4; round += 1) {
        const order = await placeOrder(user, item.id, 2);
        const responses = await Promise.all(round % 2 === 0 ? [cancel(user, order.id), setStatus(order.id, 'cancelled')] : [setStatus(order.id, 'cancelled'), cancel(user, order.id)]);
        expect(serverErrors(responses)).toEqual([]);
        expect(tally(responses)).toEqual({ 200: 1, 409: 1 });
        expect(await stockOf(item.id)).toBe(10);
        expect(await eventsOf(order.id)).toEqual(['pending', 'cancelled']);
      }
    });

    it('When a customer cancel races staff moving a paid order to processing, then the order ends cancelled, refunded once, with a consistent history', async () => {
      const item = await product(10);
      const user = shopper(6);
      for (let round = 0; round < 6; round += 1) {
        const order = await paidOrder(user, item.id, 4);
        const [cancelled, processing] = await Promise.all([cancel(user, order.id), setStatus(order.id, 'processing')]);
        expect(serverErrors([cancelled, processing])).toEqual([]);
        // Cancelling is allowed from paid and from processing, so the customer always wins in the end; staff
        // either came first (200, then the cancel) or found the order already cancelled (409).
        expect(cancelled.status).toBe(200);
        const events = await eventsOf(order.id);
        if (processing.status === 200) {
          expect(events).toEqual(['pending', 'paid', 'processing', 'cancelled']);
        } else {
          expect(processing.status).toBe(409);
          expect(processing.body).toMatchObject({ code: 'invalid_transition', status: 'cancelled' });
          expect(events).toEqual(['pending', 'paid', 'cancelled']);
        }
        expect(await api.db('orders').where({ id: order.id }).first('status', 'payment_status')).toEqual({ status: 'cancelled', payment_status: 'refunded' });
        expect(await paymentsOf(order.id)).toEqual([{ id: expect.any(Number), status: 'refunded' }]);
        expect(await stockOf(item.id)).toBe(10);
      }
    });

    it('When a customer cancel races staff shipping a processing order, then it is either cancelled with its stock back or shipped with it taken, never both', async () => {
      const item = await product(10);
      const user = shopper(7);
      for (let round = 0; round < 6; round += 1) {
        const order = await paidOrder(user, item.id, 4);
        expect((await setStatus(order.id, 'processing')).status).toBe(200);
        const [cancelled, shipped] = (await Promise.all([cancel(user, order.id), setStatus(order.id, 'shipped')])) as [request.Response, request.Response];
        expect(serverErrors([cancelled, shipped])).toEqual([]);
        expect(tally([cancelled, shipped])).toEqual({ 200: 1, 409: 1 });
        const row = await api.db('orders').where({ id: order.id }).first('status', 'payment_status');
        if (cancelled.status === 200) {
          expect(shipped.body).toMatchObject({ code: 'invalid_transition', status: 'cancelled', requested: 'shipped' });
          expect(row).toEqual({ status: 'cancelled', payment_status: 'refunded' });
          expect(await paymentsOf(order.id)).toEqual([{ id: expect.any(Number), status: 'refunded' }]);
          expect(await eventsOf(order.id)).toEqual(['pending', 'paid', 'processing', 'cancelled']);
          expect(await stockOf(item.id)).toBe(10);
        } else {
          expect(cancelled.body).toMatchObject({ code: 'invalid_transition', status: 'shipped', requested: 'cancelled' });
          expect(row).toEqual({ status: 'shipped', payment_status: 'paid' });
          expect(await paymentsOf(order.id)).toEqual([{ id: expect.any(Number), status: 'succeeded' }]);
          expect(await eventsOf(order.id)).toEqual(['pending', 'paid', 'processing', 'shipped']);
          expect(await stockOf(item.id)).toBe(6);
          // Put the units back for the next round: the shipped order keeps them.
          await api.db('products').where({ id: item.id }).increment('stock_quantity', 4);
        }
      }
    });
  });

  describe('pool', () => {
    it('When 40 checkouts with a saved shipping address run at once, then they queue for the pool and all succeed', async () => {
      const item = await product(100);
      const addresses = await Promise.all(
        shoppers.map(async (user) => {
          const response = await request(api.app)
            .post('/api/v1/auth/addresses/')
            .set(bearer(user.access))
            .send({ first_name: 'Ada', last_name: 'Lovelace', address_line_1: '12 Analytical Row', city: 'London', postal_code: 'N1 9GU', country: 'United Kingdom', phone_number: '+44 20 7946 0000' });
          expect(response.status).toBe(201);
          return (response.body as { id: number }).id;
        }),
      );
      const started = Date.now();
      const responses = await Promise.all(
        times(40, (index) => checkout(shopper(index), { items: [{ product_id: item.id, quantity: 1 }], shipping_address_id: addresses[index % addresses.length] })),
      );

      expect(serverErrors(responses)).toEqual([]);
      expect(tally(responses)).toEqual({ 201: 40 });
      for (const response of responses) expect(response.body.shipping_address).toMatchObject({ city: 'London', address_line_2: '' });
      expect(await stockOf(item.id)).toBe(60);
      // Nobody waited out the pool's acquire timeout (10 s).
      expect(Date.now() - started).toBeLessThan(8000);
    });
  });
});
