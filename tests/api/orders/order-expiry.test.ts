import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, type CategoryRecord, type ProductRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { addToCart, cancel, cartLines, countRows, CREATE, eventsOf, order, ordersOf, payment, paymentsOf, placeOrder, staffOrder, stockOf, type OrderBody } from './order-helpers';

const PAY = { payment_method: 'card', payment_details: { card_number: '4242424242424242' } };
const EXPIRED_DETAIL =
  'This order was not paid before its deadline and has been cancelled; its items are no longer reserved. Nothing was charged: place a new order.';
const EXPIRY_EVENT = { from_status: 'pending', to_status: 'cancelled', actor_id: null, actor_role: 'system', note: 'Payment was not received before the deadline.' };

/**
 * An unpaid order's stock is a reservation with a deadline, and a customer may keep only a few unpaid
 * orders: the review hoarded a product's whole stock with ten orders it never paid.
 */
describe('unpaid orders: payment deadline and limit', () => {
  let api: TestApi;
  let category: CategoryRecord;
  let staff: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', ORDER_EXPIRY_INTERVAL: '1' });
    category = await insertCategory(api, { name: 'Scarce', slug: 'scarce' });
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  let sequence = 0;
  const product = (stock: number): Promise<ProductRecord> => {
    sequence += 1;
    return insertProduct(api, { title: `Limited ${sequence}`, category_id: category.id, stock_quantity: stock, price: '10.00' });
  };
  const checkout = (user: RegisteredUser, productId: number, quantity: number) =>
    request(api.app).post(CREATE).set(bearer(user.access)).send({ items: [{ product_id: productId, quantity }] });
  /** Moves an order's deadline into the past, as if ORDER_PAYMENT_TIMEOUT had gone by. */
  const overdue = (orderId: number) => api.db('orders').where({ id: orderId }).update({ payment_due_at: api.db.raw("now() - interval '1 second'") });
  const row = (orderId: number) => api.db('orders').where({ id: orderId }).first<{ status: string; payment_status: string; cancel_reason: string | null }>('status', 'payment_status', 'cancel_reason');

  describe('ORDER_MAX_UNPAID (default 3)', () => {
    it('When a customer with three unpaid orders checks out again, then 409 too_many_unpaid_orders and nothing is taken: stock, cart and orders unchanged', async () => {
      const hoarder = await registerUser(api);
      const item = await product(1000);
      for (let index = 0; index < 3; index += 1) expect((await checkout(hoarder, item.id, 100)).status).toBe(201);
      expect(await stockOf(api, item.id)).toBe(700);
      await addToCart(api, hoarder, item.id, 5);

      const refused = await request(api.app).post(CREATE).set(bearer(hoarder.access)).send({});
      expect(refused.status).toBe(409);
      const detail = 'You already have 3 unpaid orders. Pay or cancel one of them before placing another.';
      expect(refused.body).toEqual({ detail, code: 'too_many_unpaid_orders', error: detail, unpaid_orders: 3, limit: 3 });
      expect(await stockOf(api, item.id)).toBe(700);
      expect(await cartLines(api, hoarder.id)).toEqual({ [item.id]: 5 });
      expect(await ordersOf(api, hoarder.id)).toBe(3);

      // Another customer is not affected by the hoarder's limit.
      expect((await checkout(await registerUser(api), item.id, 100)).status).toBe(201);
    });

    it('When one unpaid order is paid, cancelled or past its deadline, then it no longer counts and the customer may check out again', async () => {
      const customer = await registerUser(api);
      const item = await product(100);
      const placed = [];
      for (let index = 0; index < 3; index += 1) placed.push((await checkout(customer, item.id, 1)).body as OrderBody);
      expect((await checkout(customer, item.id, 1)).status).toBe(409);

      expect((await request(api.app).post(payment(placed[0]!.id)).set(bearer(customer.access)).send(PAY)).status).toBe(200);
      expect((await checkout(customer, item.id, 1)).status).toBe(201);
      expect((await checkout(customer, item.id, 1)).status).toBe(409);

      expect((await request(api.app).post(cancel(placed[1]!.id)).set(bearer(customer.access))).status).toBe(200);
      expect((await checkout(customer, item.id, 1)).status).toBe(201);

      await overdue(placed[2]!.id);
      expect((await checkout(customer, item.id, 1)).status).toBe(201);
      expect((await checkout(customer, item.id, 1)).status).toBe(409);
    });

    it('When a customer with two unpaid orders sends ten checkouts at once, then exactly one is placed and nine get 409 with nothing taken', async () => {
      const customer = await registerUser(api);
      const item = await product(50);
      for (let index = 0; index < 2; index += 1) expect((await checkout(customer, item.id, 1)).status).toBe(201);
      const answers = await Promise.all(Array.from({ length: 10 }, () => checkout(customer, item.id, 1)));
      expect(answers.map((answer) => answer.status).sort()).toEqual([201, ...Array<number>(9).fill(409)]);
      expect(answers.filter((answer) => answer.status === 409).every((answer) => answer.body.code === 'too_many_unpaid_orders')).toBe(true);
      expect(await stockOf(api, item.id)).toBe(47);
      expect(await ordersOf(api, customer.id)).toBe(3);
    });
  });

  describe('the payment deadline', () => {
    it('When an order is placed, then payment_due_at is ORDER_PAYMENT_TIMEOUT (default 1800 s) after its creation, by the database clock', async () => {
      const placed = await placeOrder(api, await registerUser(api), { items: [{ product_id: (await product(5)).id, quantity: 1 }] });
      const { seconds } = await api.db('orders').where({ id: placed.id }).first<{ seconds: number }>(api.db.raw('extract(epoch from payment_due_at - created_at)::int AS seconds'));
      expect(seconds).toBe(1800);
    });

    it('When an overdue order is read, then it is cancelled on the way with reason payment_timeout, the stock is back once and a system event is recorded', async () => {
      const customer = await registerUser(api);
      const item = await product(10);
      const placed = await placeOrder(api, customer, { items: [{ product_id: item.id, quantity: 4 }] });
      expect(await stockOf(api, item.id)).toBe(6);
      await overdue(placed.id);

      const read = await request(api.app).get(order(placed.id)).set(bearer(customer.access));
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ status: 'cancelled', payment_status: 'unpaid', cancel_reason: 'payment_timeout', payment_due_at: null });
      expect(await stockOf(api, item.id)).toBe(10);
      expect(await eventsOf(api, placed.id)).toEqual([expect.objectContaining({ to_status: 'pending' }), EXPIRY_EVENT]);

      // Every other read sees the same cancelled order; nothing is released twice.
      const status = await request(api.app).get(`${order(placed.id)}status/`).set(bearer(customer.access));
      expect(status.body).toEqual({ order_id: placed.id, status: 'cancelled', payment_status: 'unpaid' });
      const tracking = await request(api.app).get(`${order(placed.id)}track/`).set(bearer(customer.access));
      expect((tracking.body as { tracking_events: unknown[] }).tracking_events.at(-1)).toMatchObject({
        status: 'Order cancelled',
        description: 'Your order was cancelled because payment was not received in time.',
        code: 'cancelled',
      });
      const staffView = await request(api.app).get(staffOrder(placed.id)).set(bearer(staff.access));
      expect((staffView.body as { events: unknown[] }).events.at(-1)).toMatchObject({ to_status: 'cancelled', actor: null, actor_role: 'system' });
      expect(await stockOf(api, item.id)).toBe(10);
      expect(await eventsOf(api, placed.id)).toHaveLength(2);
    });

    it.each([
      ['the customer\'s list', (customer: RegisteredUser) => request(api.app).get('/api/v1/orders/').set(bearer(customer.access))],
      ['the staff list', () => request(api.app).get('/api/v1/orders/admin/all/?status=pending').set(bearer(staff.access))],
    ])('When %s is read after a deadline passed, then the overdue order is listed cancelled and its stock is back', async (_name, list) => {
      const customer = await registerUser(api);
      const item = await product(3);
      const placed = await placeOrder(api, customer, { items: [{ product_id: item.id, quantity: 3 }] });
      await overdue(placed.id);
      const answer = await list(customer);
      expect(answer.status).toBe(200);
      const listed = (answer.body.results as OrderBody[]).find((candidate) => candidate.id === placed.id);
      if (listed) expect(listed).toMatchObject({ status: 'cancelled', cancel_reason: 'payment_timeout' });
      expect(await row(placed.id)).toEqual({ status: 'cancelled', payment_status: 'unpaid', cancel_reason: 'payment_timeout' });
      expect(await stockOf(api, item.id)).toBe(3);
    });

    it('When an overdue order is paid, then 409 order_expired, nothing is charged, the order is cancelled and the stock back; a retry with the same key replays the 409', async () => {
      const customer = await registerUser(api);
      const item = await product(5);
      const placed = await placeOrder(api, customer, { items: [{ product_id: item.id, quantity: 5 }] });
      await overdue(placed.id);

      const paid = await request(api.app).post(payment(placed.id)).set(bearer(customer.access)).set('Idempotency-Key', 'late-payment').send(PAY);
      expect(paid.status).toBe(409);
      expect(paid.body).toEqual({ detail: EXPIRED_DETAIL, code: 'order_expired', error: EXPIRED_DETAIL, payment_due_at: expect.any(String) });
      expect(await paymentsOf(api, placed.id)).toEqual([]);
      expect(await row(placed.id)).toEqual({ status: 'cancelled', payment_status: 'unpaid', cancel_reason: 'payment_timeout' });
      expect(await stockOf(api, item.id)).toBe(5);

      const replay = await request(api.app).post(payment(placed.id)).set(bearer(customer.access)).set('Idempotency-Key', 'late-payment').send(PAY);
      expect(replay.status).toBe(409);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      const again = await request(api.app).post(payment(placed.id)).set(bearer(customer.access)).send(PAY);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('order_expired');
      expect(await paymentsOf(api, placed.id)).toEqual([]);
      expect(await stockOf(api, item.id)).toBe(5);
    });

    it('When the stock a checkout needs is held by an overdue order the sweep has not reached yet, then the checkout releases it and succeeds at once', async () => {
      const item = await product(2);
      const hoarded = await placeOrder(api, await registerUser(api), { items: [{ product_id: item.id, quantity: 2 }] });
      const buyer = await registerUser(api);
      expect((await checkout(buyer, item.id, 1)).status).toBe(409);
      await overdue(hoarded.id);
      const bought = await checkout(buyer, item.id, 2);
      expect(bought.status).toBe(201);
      expect(await row(hoarded.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'payment_timeout' });
      expect(await stockOf(api, item.id)).toBe(0);
    });

    it('When reads, payments, cancels and sweeps of one overdue order all race, then it is cancelled once and its stock comes back exactly once', async () => {
      const customer = await registerUser(api);
      const item = await product(7);
      const placed = await placeOrder(api, customer, { items: [{ product_id: item.id, quantity: 7 }] });
      await overdue(placed.id);
      const http = () => request(api.app);
      await Promise.all([
        ...Array.from({ length: 5 }, () => http().get(order(placed.id)).set(bearer(customer.access))),
        ...Array.from({ length: 5 }, () => http().post(payment(placed.id)).set(bearer(customer.access)).send(PAY)),
        ...Array.from({ length: 3 }, () => http().post(cancel(placed.id)).set(bearer(customer.access))),
        ...Array.from({ length: 5 }, () => api.runtime.orderExpiry.expireOverdue()),
      ]);
      expect(await stockOf(api, item.id)).toBe(7);
      expect((await eventsOf(api, placed.id)).filter((event) => event.to_status === 'cancelled')).toHaveLength(1);
      expect(await paymentsOf(api, placed.id)).toEqual([]);
    });

    it('When a paid order\'s deadline passes, then nothing happens to it: only pending orders expire', async () => {
      const customer = await registerUser(api);
      const item = await product(4);
      const placed = await placeOrder(api, customer, { items: [{ product_id: item.id, quantity: 2 }] });
      expect((await request(api.app).post(payment(placed.id)).set(bearer(customer.access)).send(PAY)).status).toBe(200);
      await overdue(placed.id);
      expect(await api.runtime.orderExpiry.expireOverdue()).toBe(0);
      expect(await row(placed.id)).toEqual({ status: 'paid', payment_status: 'paid', cancel_reason: null });
      expect(await stockOf(api, item.id)).toBe(2);
    });

    it('When the sweeper runs, then it cancels the overdue order within its interval (1 s here) and returns its stock', async () => {
      const customer = await registerUser(api);
      const item = await product(6);
      const placed = await placeOrder(api, customer, { items: [{ product_id: item.id, quantity: 6 }] });
      await overdue(placed.id);
      const before = await countRows(api, 'order_events', { order_id: placed.id });
      api.runtime.expirySweeper.start();
      try {
        const deadline = Date.now() + 3_000;
        while ((await row(placed.id)).status === 'pending' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        await api.runtime.expirySweeper.stop();
      }
      expect(await row(placed.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'payment_timeout' });
      expect(await stockOf(api, item.id)).toBe(6);
      expect(await countRows(api, 'order_events', { order_id: placed.id })).toBe(before + 1);
    });
  });
});
