import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, NOT_AUTHENTICATED, PERMISSION_DENIED, type CategoryRecord, type ProductRecord, ISO_MICROS } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { allowedTransitions, ORDER_STATUSES, type OrderStatus } from '../../../api/modules/orders';
import { cancel, confirm, EVENT_KEYS, eventsOf, NO_ORDER, ORDER_KEYS, PAYMENT_KEYS, paymentsOf, payOrder, placeOrder, setStatus, staffOrder, statusOf, stockOf, stocks, trackingNumber, updateStatus, type OrderBody, UNPAID_LIMIT_LIFTED } from './order-helpers';

/** How to reach each status from a fresh pending order: the legal path, payment included. */
const PATH_TO: Record<OrderStatus, OrderStatus[]> = {
  pending: [],
  paid: ['paid'],
  processing: ['paid', 'processing'],
  shipped: ['paid', 'processing', 'shipped'],
  delivered: ['paid', 'processing', 'shipped', 'delivered'],
  cancelled: ['cancelled'],
  failed: ['failed'],
};

/** Every legal move staff can make (paid is reached only by paying). */
const STAFF_MOVES: [OrderStatus, OrderStatus][] = [
  ['pending', 'cancelled'],
  ['pending', 'failed'],
  ['paid', 'processing'],
  ['paid', 'cancelled'],
  ['processing', 'shipped'],
  ['processing', 'cancelled'],
  ['shipped', 'delivered'],
];

const ALLOWED: Record<OrderStatus, OrderStatus[]> = {
  pending: ['paid', 'cancelled', 'failed'],
  paid: ['processing', 'cancelled'],
  processing: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
  failed: [],
};

/** What the staff endpoint names as allowed: the state machine's moves without `paid`, which only a payment makes. */
const staffAllowed = (from: OrderStatus): OrderStatus[] => ALLOWED[from].filter((status) => status !== 'paid');

/** Every move that is not legal (excluding same-status and `paid`, which have their own messages). */
const ILLEGAL_MOVES: [OrderStatus, OrderStatus][] = ORDER_STATUSES.flatMap((from) =>
  ORDER_STATUSES.filter((to) => to !== from && to !== 'paid' && !ALLOWED[from].includes(to)).map((to): [OrderStatus, OrderStatus] => [from, to]),
);

const TRACKING_TEXT: Record<OrderStatus, [string, string]> = {
  pending: ['Order placed', 'Your order has been placed successfully.'],
  paid: ['Payment received', 'Your payment has been received.'],
  processing: ['Processing', 'Your order is being prepared.'],
  shipped: ['Shipped', 'Your order is on its way.'],
  delivered: ['Delivered', 'Your order has been delivered.'],
  cancelled: ['Order cancelled', 'Your order has been cancelled.'],
  failed: ['Order failed', 'Your order could not be completed.'],
};

describe('order lifecycle', () => {
  let api: TestApi;
  let category: CategoryRecord;
  let staff: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', ...UNPAID_LIMIT_LIFTED });
    category = await insertCategory(api, { name: 'Lifecycle', slug: 'lifecycle' });
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  const product = (stock = 10, price = '12.00'): Promise<ProductRecord> => insertProduct(api, { title: `Widget ${stock}`, category_id: category.id, price, stock_quantity: stock });

  /** A fresh order of 2 units of a product with stock 10, moved to `status` along the legal path. */
  async function orderIn(status: OrderStatus, owner?: RegisteredUser): Promise<{ user: RegisteredUser; order: OrderBody; item: ProductRecord }> {
    const user = owner ?? (await registerUser(api));
    const item = await product();
    const placed = await placeOrder(api, user, { items: [{ product_id: item.id, quantity: 2 }] });
    for (const step of PATH_TO[status]) {
      if (step === 'paid') await payOrder(api, user, placed.id);
      else await setStatus(api, staff, placed.id, step);
    }
    expect((await statusOf(api, placed.id)).status).toBe(status);
    return { user, order: placed, item };
  }

  it('When the state machine is read from the module, then it is exactly the documented one', () => {
    expect(ORDER_STATUSES).toEqual(['pending', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'failed']);
    for (const status of ORDER_STATUSES) expect([...allowedTransitions(status)]).toEqual(ALLOWED[status]);
  });

  describe('staff update-status', () => {
    it.each(STAFF_MOVES)('When staff move an order from %s to %s, then 200 with the order and the event is recorded', async (from, to) => {
      const { user, order, item } = await orderIn(from);
      const stockBefore = await stockOf(api, item.id);
      const response = await request(api.app)
        .patch(updateStatus(order.id))
        .set(bearer(staff.access))
        .send({ status: to, note: `moved ${from} to ${to}` });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(ORDER_KEYS);
      const refunded = from !== 'pending' && to === 'cancelled';
      expect(response.body).toMatchObject({
        id: order.id,
        user: user.id,
        status: to,
        payment_status: from === 'pending' ? 'unpaid' : refunded ? 'refunded' : 'paid',
        total_amount: '24.00',
      });
      expect(response.body.updated_at > order.updated_at).toBe(true);
      const events = await eventsOf(api, order.id);
      expect(events.at(-1)).toEqual({ from_status: from, to_status: to, actor_id: staff.id, actor_role: 'staff', note: `moved ${from} to ${to}` });
      expect(events).toHaveLength(PATH_TO[from].length + 2);
      // Stock comes back exactly when an order that holds it is cancelled or fails.
      expect(await stockOf(api, item.id)).toBe(to === 'cancelled' || to === 'failed' ? stockBefore + 2 : stockBefore);
    });

    it.each(ILLEGAL_MOVES)('When staff try %s → %s, then 409 invalid_transition naming the allowed moves and nothing changes', async (from, to) => {
      const { order, item } = await orderIn(from);
      const before = await statusOf(api, order.id);
      const eventsBefore = await eventsOf(api, order.id);
      const stockBefore = await stockOf(api, item.id);
      const response = await request(api.app).patch(updateStatus(order.id)).set(bearer(staff.access)).send({ status: to });
      expect(response.status).toBe(409);
      const message = `Cannot change an order from ${from} to ${to}.`;
      expect(response.body).toEqual({ detail: message, code: 'invalid_transition', error: message, status: from, requested: to, allowed: staffAllowed(from) });
      expect(await statusOf(api, order.id)).toEqual(before);
      expect(await eventsOf(api, order.id)).toEqual(eventsBefore);
      expect(await stockOf(api, item.id)).toBe(stockBefore);
    });

    it.each(['pending', 'processing', 'shipped'] as OrderStatus[])('When staff try to set paid on a %s order, then 409: paid comes only from a payment', async (from) => {
      const { order } = await orderIn(from);
      const before = await statusOf(api, order.id);
      const response = await request(api.app).patch(updateStatus(order.id)).set(bearer(staff.access)).send({ status: 'paid' });
      expect(response.status).toBe(409);
      expect(response.body).toEqual({
        detail: 'An order becomes paid only through a payment.',
        code: 'invalid_transition',
        error: 'An order becomes paid only through a payment.',
        status: from,
        requested: 'paid',
        allowed: staffAllowed(from),
      });
      expect(await statusOf(api, order.id)).toEqual(before);
      expect(await paymentsOf(api, order.id)).toHaveLength(from === 'pending' ? 0 : 1);
    });

    it.each(ORDER_STATUSES.filter((status) => status !== 'paid'))('When staff set the status the order already has (%s), then 409 "Order is already …"', async (status) => {
      const { order } = await orderIn(status);
      const eventsBefore = await eventsOf(api, order.id);
      const response = await request(api.app).patch(updateStatus(order.id)).set(bearer(staff.access)).send({ status });
      expect(response.status).toBe(409);
      expect(response.body).toEqual({
        detail: `Order is already ${status}.`,
        code: 'invalid_transition',
        error: `Order is already ${status}.`,
        status,
        requested: status,
        allowed: staffAllowed(status),
      });
      expect(await eventsOf(api, order.id)).toEqual(eventsBefore);
    });

    it('When staff walk an order all the way to delivered, then every step is an event and the stock stays sold', async () => {
      const { user, order, item } = await orderIn('pending');
      await payOrder(api, user, order.id);
      await setStatus(api, staff, order.id, 'processing', 'picked');
      await setStatus(api, staff, order.id, 'shipped', 'DHL 123456');
      const delivered = await setStatus(api, staff, order.id, 'delivered');
      expect(delivered).toMatchObject({ status: 'delivered', payment_status: 'paid' });
      expect(await stockOf(api, item.id)).toBe(8);
      const events = await eventsOf(api, order.id);
      expect(events.map((event) => [event.from_status, event.to_status, event.actor_role, event.note])).toEqual([
        [null, 'pending', 'customer', ''],
        ['pending', 'paid', 'customer', expect.stringMatching(/^card payment sim_ch_[0-9a-f]{24}$/)],
        ['paid', 'processing', 'staff', 'picked'],
        ['processing', 'shipped', 'staff', 'DHL 123456'],
        ['shipped', 'delivered', 'staff', ''],
      ]);
      expect(events.map((event) => event.actor_id)).toEqual([user.id, user.id, staff.id, staff.id, staff.id]);
      // Nothing further is possible.
      for (const to of ['cancelled', 'failed', 'pending', 'shipped']) {
        const response = await request(api.app).patch(updateStatus(order.id)).set(bearer(staff.access)).send({ status: to });
        expect(response.status).toBe(409);
        expect(response.body.allowed).toEqual([]);
      }
      const customerCancel = await request(api.app).post(cancel(order.id)).set(bearer(user.access));
      expect(customerCancel.status).toBe(409);
      expect(customerCancel.body.detail).toBe('Cannot cancel order. Order is already delivered.');
    });

    it.each([
      ['status "bogus"', { status: 'bogus' }, { status: ['"bogus" is not a valid choice.'] }],
      ['the old status "completed"', { status: 'completed' }, { status: ['"completed" is not a valid choice.'] }],
      ['status "PENDING"', { status: 'PENDING' }, { status: ['"PENDING" is not a valid choice.'] }],
      ['no status', {}, { status: ['This field is required.'] }],
      ['status null', { status: null }, { status: ['This field may not be null.'] }],
      ['a 1001-character note', { status: 'shipped', note: 'x'.repeat(1001) }, { note: ['Ensure this field has no more than 1000 characters.'] }],
      ['a numeric note', { status: 'shipped', note: 42 }, { note: ['Not a valid string.'] }],
    ])('When the body has %s, then 400 with a field map and nothing changes', async (_label, body, expected) => {
      const { order } = await orderIn('processing');
      const response = await request(api.app).patch(updateStatus(order.id)).set(bearer(staff.access)).send(body);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ ...expected, code: 'invalid' });
      expect(await statusOf(api, order.id)).toEqual({ status: 'processing', payment_status: 'paid' });
    });

    it('When a customer (even the owner) updates the status, then 403; anonymous 401; nothing changes', async () => {
      const { user, order } = await orderIn('pending');
      const owner = await request(api.app).patch(updateStatus(order.id)).set(bearer(user.access)).send({ status: 'cancelled' });
      expect(owner.status).toBe(403);
      expect(owner.body).toEqual(PERMISSION_DENIED);
      const anonymous = await request(api.app).patch(updateStatus(order.id)).send({ status: 'cancelled' });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toEqual(NOT_AUTHENTICATED);
      expect(await statusOf(api, order.id)).toEqual({ status: 'pending', payment_status: 'unpaid' });
    });

    it('When the order does not exist, then 404; PUT is 405', async () => {
      const missing = await request(api.app).patch(updateStatus(9_999_999)).set(bearer(staff.access)).send({ status: 'cancelled' });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(NO_ORDER);
      const { order } = await orderIn('pending');
      const put = await request(api.app).put(updateStatus(order.id)).set(bearer(staff.access)).send({ status: 'cancelled' });
      expect(put.status).toBe(405);
      expect(put.body).toEqual({ detail: 'Method "PUT" not allowed.', code: 'method_not_allowed' });
    });

    it('When staff fail a pending order, then its stock comes back (every line)', async () => {
      const user = await registerUser(api);
      const a = await product(10, '1.00');
      const b = await product(7, '2.00');
      const placed = await placeOrder(api, user, {
        items: [
          { product_id: a.id, quantity: 3 },
          { product_id: b.id, quantity: 7 },
        ],
      });
      expect(await stocks(api, [a.id, b.id])).toEqual({ [a.id]: 7, [b.id]: 0 });
      const failed = await setStatus(api, staff, placed.id, 'failed', 'fraud check');
      expect(failed).toMatchObject({ status: 'failed', payment_status: 'unpaid' });
      expect(await stocks(api, [a.id, b.id])).toEqual({ [a.id]: 10, [b.id]: 7 });
    });
  });

  describe('the staff view of one order', () => {
    it('When staff read an order, then it has every event (from, to, actor, role, note, date) and every payment attempt', async () => {
      const user = await registerUser(api);
      const item = await product(10, '15.50');
      const placed = await placeOrder(api, user, { items: [{ product_id: item.id, quantity: 2 }] });
      const declined = await request(api.app)
        .post(`/api/v1/orders/${placed.id}/payment/`)
        .set(bearer(user.access))
        .send({ payment_method: 'card', payment_details: { card_number: '4000000000000002' } });
      expect(declined.status).toBe(402);
      await payOrder(api, user, placed.id);
      await setStatus(api, staff, placed.id, 'processing', 'warehouse B');

      const response = await request(api.app).get(staffOrder(placed.id)).set(bearer(staff.access));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual([...ORDER_KEYS, 'events', 'payments']);
      expect(response.body).toMatchObject({ id: placed.id, user: user.id, status: 'processing', payment_status: 'paid', total_amount: '31.00' });
      expect(response.body.events).toEqual([
        { from_status: null, to_status: 'pending', actor: user.id, actor_role: 'customer', note: '', created_at: placed.created_at },
        { from_status: 'pending', to_status: 'paid', actor: user.id, actor_role: 'customer', note: expect.stringMatching(/^card payment sim_ch_/), created_at: expect.stringMatching(ISO_MICROS) },
        { from_status: 'paid', to_status: 'processing', actor: staff.id, actor_role: 'staff', note: 'warehouse B', created_at: expect.stringMatching(ISO_MICROS) },
      ]);
      expect(Object.keys(response.body.events[0])).toEqual(EVENT_KEYS);
      expect(response.body.payments).toEqual([
        {
          id: expect.any(Number),
          amount: '31.00',
          currency: 'USD',
          method: 'card',
          provider: 'simulated',
          reference: expect.stringMatching(/^sim_ch_[0-9a-f]{24}$/),
          status: 'declined',
          failure_code: 'card_declined',
          created_at: expect.stringMatching(ISO_MICROS),
        },
        {
          id: expect.any(Number),
          amount: '31.00',
          currency: 'USD',
          method: 'card',
          provider: 'simulated',
          reference: expect.stringMatching(/^sim_ch_[0-9a-f]{24}$/),
          status: 'succeeded',
          failure_code: null,
          created_at: expect.stringMatching(ISO_MICROS),
        },
      ]);
      expect(Object.keys(response.body.payments[0])).toEqual(PAYMENT_KEYS);
    });
  });

  describe('tracking', () => {
    it('When an order moves through its life, then /track/ lists one event per change with Z dates and the tracking number', async () => {
      const { user, order } = await orderIn('shipped');
      const response = await request(api.app).get(`/api/v1/orders/${order.id}/track/`).set(bearer(user.access));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        order_id: order.id,
        status: 'shipped',
        tracking_number: trackingNumber(order.id),
        estimated_delivery: null,
        tracking_events: (['pending', 'paid', 'processing', 'shipped'] as OrderStatus[]).map((code) => ({
          date: expect.stringMatching(ISO_MICROS),
          status: TRACKING_TEXT[code][0],
          description: TRACKING_TEXT[code][1],
          code,
        })),
      });
      const dates = (response.body.tracking_events as { date: string }[]).map((event) => event.date);
      expect([...dates].sort()).toEqual(dates);
      expect(response.body.tracking_number).toMatch(/^TRK\d{8}$/);
    });

    it.each(['delivered', 'cancelled', 'failed'] as OrderStatus[])('When an order ends %s, then the last tracking event says so', async (status) => {
      const { user, order } = await orderIn(status);
      const response = await request(api.app).get(`/api/v1/orders/${order.id}/track/`).set(bearer(user.access));
      expect(response.status).toBe(200);
      expect(response.body.status).toBe(status);
      const events = response.body.tracking_events as { status: string; description: string; code: string }[];
      expect(events).toHaveLength(PATH_TO[status].length + 1);
      expect(events.at(-1)).toEqual({ date: expect.stringMatching(ISO_MICROS), status: TRACKING_TEXT[status][0], description: TRACKING_TEXT[status][1], code: status });
    });
  });

  describe('customer cancel', () => {
    it('When the owner cancels a pending order, then 200 with the message, the stock is back and the event is recorded', async () => {
      const { user, order, item } = await orderIn('pending');
      expect(await stockOf(api, item.id)).toBe(8);
      const response = await request(api.app).post(cancel(order.id)).set(bearer(user.access));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['message', 'order', 'refund']);
      expect(response.body.message).toBe('Order cancelled successfully.');
      expect(response.body.refund).toBeNull();
      expect(Object.keys(response.body.order)).toEqual(ORDER_KEYS);
      expect(response.body.order).toMatchObject({ id: order.id, status: 'cancelled', payment_status: 'unpaid', total_amount: '24.00', cancel_reason: 'customer', payment_due_at: null });
      expect(await stockOf(api, item.id)).toBe(10);
      expect((await eventsOf(api, order.id)).at(-1)).toEqual({ from_status: 'pending', to_status: 'cancelled', actor_id: user.id, actor_role: 'customer', note: '' });
      expect(await paymentsOf(api, order.id)).toEqual([]);
    });

    it.each(['paid', 'processing'] as OrderStatus[])('When the owner cancels a %s order, then it is refunded, the answer says so, and the stock is back', async (status) => {
      const { user, order, item } = await orderIn(status);
      const [charge] = await paymentsOf(api, order.id);
      const response = await request(api.app).post(cancel(order.id)).set(bearer(user.access));
      expect(response.status).toBe(200);
      expect(response.body.order).toMatchObject({ status: 'cancelled', payment_status: 'refunded', cancel_reason: 'customer' });
      // The old backend's own tests looked for "refund" in the message; the body says what was refunded.
      expect(response.body.message).toBe('Order cancelled successfully. Your payment of 24.00 USD has been refunded.');
      expect(response.body.refund).toEqual({
        payment_id: charge?.id,
        amount: '24.00',
        currency: 'USD',
        reference: expect.stringMatching(/^sim_re_[0-9a-f]{24}$/),
        refunded_at: expect.stringMatching(ISO_MICROS),
      });
      expect(await statusOf(api, order.id)).toEqual({ status: 'cancelled', payment_status: 'refunded' });
      const payments = await paymentsOf(api, order.id);
      expect(payments).toHaveLength(1);
      expect(payments[0]).toMatchObject({
        id: charge?.id,
        amount: '24.00',
        status: 'refunded',
        provider_reference: charge?.provider_reference,
        refund_reference: expect.stringMatching(/^sim_re_[0-9a-f]{24}$/),
        refunded_at: expect.stringMatching(ISO_MICROS),
      });
      expect(await stockOf(api, item.id)).toBe(10);
      // A refunded order is not "paid" any more: confirm refuses it.
      const confirmed = await request(api.app).post(confirm(order.id)).set(bearer(user.access));
      expect(confirmed.status).toBe(409);
      expect(confirmed.body).toEqual({ detail: "This order's payment was refunded.", code: 'payment_required', error: "This order's payment was refunded." });
    });

    it('When staff cancel a paid order, then it is refunded just the same', async () => {
      const { order, item } = await orderIn('paid');
      const cancelled = await setStatus(api, staff, order.id, 'cancelled', 'out of stock at the warehouse');
      expect(cancelled).toMatchObject({ status: 'cancelled', payment_status: 'refunded' });
      expect((await paymentsOf(api, order.id))[0]?.status).toBe('refunded');
      expect(await stockOf(api, item.id)).toBe(10);
    });

    it('When the owner cancels a shipped order, then 409 "contact customer service" and nothing changes', async () => {
      const { user, order, item } = await orderIn('shipped');
      const response = await request(api.app).post(cancel(order.id)).set(bearer(user.access));
      expect(response.status).toBe(409);
      const message = 'Cannot cancel shipped order. Please contact customer service.';
      expect(response.body).toEqual({ detail: message, code: 'invalid_transition', error: message, status: 'shipped', requested: 'cancelled', allowed: ['delivered'] });
      expect(await statusOf(api, order.id)).toEqual({ status: 'shipped', payment_status: 'paid' });
      expect(await stockOf(api, item.id)).toBe(8);
      expect((await paymentsOf(api, order.id))[0]?.status).toBe('succeeded');
    });

    it.each(['cancelled', 'delivered', 'failed'] as OrderStatus[])('When the owner cancels a %s order, then 409 "Order is already …"', async (status) => {
      const { user, order, item } = await orderIn(status);
      const stockBefore = await stockOf(api, item.id);
      const response = await request(api.app).post(cancel(order.id)).set(bearer(user.access));
      expect(response.status).toBe(409);
      const message = `Cannot cancel order. Order is already ${status}.`;
      expect(response.body).toEqual({ detail: message, code: 'invalid_transition', error: message, status, requested: 'cancelled', allowed: [] });
      expect(await stockOf(api, item.id)).toBe(stockBefore);
    });

    it('When the owner cancels twice, then the second is 409 and the stock was restored exactly once', async () => {
      const { user, order, item } = await orderIn('pending');
      const first = await request(api.app).post(cancel(order.id)).set(bearer(user.access));
      expect(first.status).toBe(200);
      const second = await request(api.app).post(cancel(order.id)).set(bearer(user.access));
      expect(second.status).toBe(409);
      expect(second.body.detail).toBe('Cannot cancel order. Order is already cancelled.');
      expect(await stockOf(api, item.id)).toBe(10);
      const cancellations = (await eventsOf(api, order.id)).filter((event) => event.to_status === 'cancelled');
      expect(cancellations).toHaveLength(1);
    });

    it('When a customer then staff try to cancel or fail a cancelled order, then the stock is not returned again', async () => {
      const { user, order, item } = await orderIn('pending');
      await request(api.app).post(cancel(order.id)).set(bearer(user.access)).expect(200);
      for (const to of ['cancelled', 'failed']) {
        const response = await request(api.app).patch(updateStatus(order.id)).set(bearer(staff.access)).send({ status: to });
        expect(response.status).toBe(409);
      }
      expect(await stockOf(api, item.id)).toBe(10);
    });

    it('When a cancelled order is paid, then 409 invalid_transition and no payment is recorded', async () => {
      const { user, order } = await orderIn('cancelled');
      const response = await request(api.app).post(`/api/v1/orders/${order.id}/payment/`).set(bearer(user.access)).send({ payment_method: 'paypal' });
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'invalid_transition', status: 'cancelled', requested: 'paid', allowed: [] });
      expect(await paymentsOf(api, order.id)).toEqual([]);
    });

    it('When stock was restocked meanwhile, then cancel adds the ordered quantity on top', async () => {
      const { user, order, item } = await orderIn('pending');
      await api.db('products').where({ id: item.id }).update({ stock_quantity: 100 });
      await request(api.app).post(cancel(order.id)).set(bearer(user.access)).expect(200);
      expect(await stockOf(api, item.id)).toBe(102);
    });
  });
});
