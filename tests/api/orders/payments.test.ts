import { createHash } from 'node:crypto';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, type CategoryRecord, type ProductRecord, ISO_MICROS } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { TEST_CARDS } from '../../../api/modules/orders';
import { confirm, countRows, CREATE, eventsOf, NO_ORDER, ORDER_KEYS, ordersOf, PAYMENT_KEYS, payment, paymentsOf, placeOrder, setStatus, statusOf, stockOf, type OrderBody, UNPAID_LIMIT_LIFTED } from './order-helpers';

const KEY_MESSAGE = 'Must be 1 to 255 visible ASCII characters (a UUID is a good choice).';
const KEY_REUSED = { detail: 'This Idempotency-Key was already used with a different request body.', code: 'idempotency_key_reused' };
const PROVIDER_ERROR = {
  detail: 'The payment provider could not process the card. Nothing was changed; try again later.',
  code: 'payment_provider_error',
};

const card = (number: string, extra: Record<string, unknown> = {}) => ({ payment_method: 'card', payment_details: { card_number: number }, ...extra });

describe('payments', () => {
  let api: TestApi;
  let category: CategoryRecord;
  let staff: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', ...UNPAID_LIMIT_LIFTED });
    category = await insertCategory(api, { name: 'Till', slug: 'till' });
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  const product = (price = '19.99', stock = 10): Promise<ProductRecord> => insertProduct(api, { title: `Priced ${price}`, category_id: category.id, price, stock_quantity: stock });

  /** A new customer with a pending order of 3 × 19.99 = 59.97. */
  async function pendingOrder(): Promise<{ user: RegisteredUser; order: OrderBody; item: ProductRecord }> {
    const user = await registerUser(api);
    const item = await product();
    const order = await placeOrder(api, user, { items: [{ product_id: item.id, quantity: 3 }] });
    expect(order.total_amount).toBe('59.97');
    return { user, order, item };
  }

  describe('paying', () => {
    it('When the success card pays, then 200: the order is paid/paid and the payment records amount, method, provider and reference', async () => {
      const { user, order, item } = await pendingOrder();
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.success));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['message', 'payment_method', 'payment', 'order']);
      expect(response.body.message).toBe('Payment processed successfully.');
      expect(response.body.payment_method).toBe('card');
      expect(Object.keys(response.body.payment)).toEqual(PAYMENT_KEYS);
      expect(response.body.payment).toEqual({
        id: expect.any(Number),
        amount: '59.97',
        currency: 'USD',
        method: 'card',
        provider: 'simulated',
        reference: expect.stringMatching(/^sim_ch_[0-9a-f]{24}$/),
        status: 'succeeded',
        failure_code: null,
        created_at: expect.stringMatching(ISO_MICROS),
      });
      expect(Object.keys(response.body.order)).toEqual(ORDER_KEYS);
      expect(response.body.order).toMatchObject({ id: order.id, status: 'paid', payment_status: 'paid', total_amount: '59.97' });

      expect(await statusOf(api, order.id)).toEqual({ status: 'paid', payment_status: 'paid' });
      const rows = await paymentsOf(api, order.id);
      expect(rows).toEqual([
        {
          id: response.body.payment.id,
          order_id: order.id,
          amount: '59.97',
          currency: 'USD',
          method: 'card',
          provider: 'simulated',
          provider_reference: response.body.payment.reference,
          status: 'succeeded',
          failure_code: null,
          refund_reference: null,
          refunded_at: null,
          created_at: response.body.payment.created_at,
        },
      ]);
      expect((await eventsOf(api, order.id)).at(-1)).toEqual({
        from_status: 'pending',
        to_status: 'paid',
        actor_id: user.id,
        actor_role: 'customer',
        note: `card payment ${response.body.payment.reference}`,
      });
      // Paying takes no more stock.
      expect(await stockOf(api, item.id)).toBe(7);
    });

    it.each([
      ['paypal', { payment_method: 'paypal' }],
      ['bank_transfer', { payment_method: 'bank_transfer', payment_details: {} }],
      ['credit_card without a card number (as old clients sent)', { payment_method: 'credit_card' }],
      ['debit_card with a spaced card number', { payment_method: 'debit_card', payment_details: { card_number: '4242 4242 4242 4242' } }],
      ['card with the amount as a string', card(TEST_CARDS.success, { amount: '59.97' })],
      ['card with the amount as a number', card(TEST_CARDS.success, { amount: 59.97 })],
      ['paypal with a declining card number (ignored: not a card method)', { payment_method: 'paypal', payment_details: { card_number: TEST_CARDS.declined } }],
    ])('When paying by %s, then 200 and one succeeded payment with that method', async (_label, body) => {
      const { user, order } = await pendingOrder();
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(body);
      expect(response.status).toBe(200);
      expect(response.body.payment_method).toBe(body.payment_method);
      expect(response.body.order.payment_status).toBe('paid');
      const rows = await paymentsOf(api, order.id);
      expect(rows.map((row) => [row.method, row.status, row.amount])).toEqual([[body.payment_method, 'succeeded', '59.97']]);
    });

    it('When the form-encoded body pays, then it works as JSON does', async () => {
      const { user, order } = await pendingOrder();
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).type('form').send('payment_method=paypal&amount=59.97');
      expect(response.status).toBe(200);
      expect(response.body.order.status).toBe('paid');
    });

    const MISMATCH = 'Must equal the order total, 59.97.';
    const NOT_A_NUMBER = 'A valid number is required.';
    it.each([
      ['"59.96"', '59.96', MISMATCH],
      ['"60"', '60', MISMATCH],
      ['"0.01"', '0.01', MISMATCH],
      ['the number 60', 60, MISMATCH],
      ['the number 5997 (cents)', 5997, MISMATCH],
      // Fractions of a cent are not cents: 59.971 must not pass for 59.97.
      ['the number 59.971', 59.971, NOT_A_NUMBER],
      ['the number 59.969', 59.969, NOT_A_NUMBER],
      ['the number -59.97', -59.97, NOT_A_NUMBER],
      ['the number 1e21', 1e21, NOT_A_NUMBER],
    ])('When the amount is %s (not the total), then 400 and nothing is recorded', async (_label, amount, message) => {
      const { user, order } = await pendingOrder();
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.success, { amount }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ amount: [message], code: 'invalid' });
      expect(await paymentsOf(api, order.id)).toEqual([]);
      expect(await statusOf(api, order.id)).toEqual({ status: 'pending', payment_status: 'unpaid' });
    });

    it('When the amount differs from the total, then the message names the total', async () => {
      const { user, order } = await pendingOrder();
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.success, { amount: '10.00' }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ amount: ['Must equal the order total, 59.97.'], code: 'invalid' });
    });

    it.each([
      ['a missing payment_method', {}, { payment_method: ['This field is required.'] }],
      ['payment_method null', { payment_method: null }, { payment_method: ['This field may not be null.'] }],
      ['payment_method "bitcoin"', { payment_method: 'bitcoin' }, { payment_method: ['Invalid payment method.'] }],
      ['payment_method "CARD"', { payment_method: 'CARD' }, { payment_method: ['Invalid payment method.'] }],
      ['payment_method 1', { payment_method: 1 }, { payment_method: ['Invalid payment method.'] }],
      ['a short card number', card('1234'), { payment_details: { card_number: ['Enter a valid card number.'] } }],
      ['a card number with letters', card('4242abcd42424242'), { payment_details: { card_number: ['Enter a valid card number.'] } }],
      ['a 20-digit card number', card('42424242424242424242'), { payment_details: { card_number: ['Enter a valid card number.'] } }],
      ['a numeric card number', { payment_method: 'card', payment_details: { card_number: 4242424242424242 } }, { payment_details: { card_number: ['Not a valid string.'] } }],
      [
        'payment_details as a string',
        { payment_method: 'card', payment_details: 'visa' },
        { payment_details: ['Invalid data. Expected a dictionary, but got str.'] },
      ],
      ['amount "abc"', { payment_method: 'paypal', amount: 'abc' }, { amount: ['A valid number is required.'] }],
      ['amount "-59.97"', { payment_method: 'paypal', amount: '-59.97' }, { amount: ['A valid number is required.'] }],
      ['amount with 3 decimals as a string', { payment_method: 'paypal', amount: '59.970' }, { amount: ['A valid number is required.'] }],
    ])('When the body has %s, then 400 with the field map and nothing is recorded', async (_label, body, expected) => {
      const { user, order } = await pendingOrder();
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(body);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ ...expected, code: 'invalid' });
      expect(await paymentsOf(api, order.id)).toEqual([]);
      expect(await statusOf(api, order.id)).toEqual({ status: 'pending', payment_status: 'unpaid' });
    });

    it.each([
      ['declined', TEST_CARDS.declined, 'card_declined', 'Your card was declined.'],
      ['insufficient funds', TEST_CARDS.insufficientFunds, 'insufficient_funds', 'Your card has insufficient funds.'],
      ['declined (dashed number)', '4000-0000-0000-0002', 'card_declined', 'Your card was declined.'],
    ])('When the %s card is used, then 402 payment_declined, the attempt is recorded and the order stays payable', async (_label, number, declineCode, message) => {
      const { user, order } = await pendingOrder();
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(number));
      expect(response.status).toBe(402);
      expect(response.body).toEqual({
        detail: message,
        code: 'payment_declined',
        error: message,
        decline_code: declineCode,
        payment: {
          id: expect.any(Number),
          amount: '59.97',
          currency: 'USD',
          method: 'card',
          provider: 'simulated',
          reference: expect.stringMatching(/^sim_ch_[0-9a-f]{24}$/),
          status: 'declined',
          failure_code: declineCode,
          created_at: expect.stringMatching(ISO_MICROS),
        },
      });
      expect(await statusOf(api, order.id)).toEqual({ status: 'pending', payment_status: 'unpaid' });
      expect((await paymentsOf(api, order.id)).map((row) => [row.status, row.failure_code])).toEqual([['declined', declineCode]]);
      expect((await eventsOf(api, order.id)).map((event) => event.to_status)).toEqual(['pending']);

      const confirmed = await request(api.app).post(confirm(order.id)).set(bearer(user.access));
      expect(confirmed.status).toBe(409);
      expect(confirmed.body.code).toBe('payment_required');

      const retry = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.success));
      expect(retry.status).toBe(200);
      expect(retry.body.order).toMatchObject({ status: 'paid', payment_status: 'paid' });
      expect((await paymentsOf(api, order.id)).map((row) => row.status)).toEqual(['declined', 'succeeded']);
    });

    it('When the provider fails, then 502 payment_provider_error and nothing is recorded; a retry can succeed', async () => {
      const { user, order } = await pendingOrder();
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.processingError));
      expect(response.status).toBe(502);
      expect(response.body).toEqual(PROVIDER_ERROR);
      expect(await paymentsOf(api, order.id)).toEqual([]);
      expect(await statusOf(api, order.id)).toEqual({ status: 'pending', payment_status: 'unpaid' });
      expect(await eventsOf(api, order.id)).toHaveLength(1);
      const retry = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.success));
      expect(retry.status).toBe(200);
      expect(await paymentsOf(api, order.id)).toHaveLength(1);
    });

    it('When a paid order is paid again, then 409 already_paid and still one payment', async () => {
      const { user, order } = await pendingOrder();
      await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.success)).expect(200);
      for (const body of [card(TEST_CARDS.success), { payment_method: 'paypal' }]) {
        const again = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(body);
        expect(again.status).toBe(409);
        expect(again.body).toEqual({ detail: 'Order already paid.', code: 'already_paid', error: 'Order already paid.' });
      }
      expect(await paymentsOf(api, order.id)).toHaveLength(1);
      expect(await statusOf(api, order.id)).toEqual({ status: 'paid', payment_status: 'paid' });
    });

    it('When a processing order is paid, then 409 already_paid', async () => {
      const { user, order } = await pendingOrder();
      await request(api.app).post(payment(order.id)).set(bearer(user.access)).send({ payment_method: 'paypal' }).expect(200);
      await setStatus(api, staff, order.id, 'processing');
      const again = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send({ payment_method: 'paypal' });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('already_paid');
    });

    it.each(['cancelled', 'failed'])('When a %s order is paid, then 409 invalid_transition and nothing is charged', async (status) => {
      const { user, order } = await pendingOrder();
      await setStatus(api, staff, order.id, status);
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.success));
      expect(response.status).toBe(409);
      const message = `Cannot pay an order that is ${status}.`;
      expect(response.body).toEqual({ detail: message, code: 'invalid_transition', error: message, status, requested: 'paid', allowed: [] });
      expect(await paymentsOf(api, order.id)).toEqual([]);
      expect(await statusOf(api, order.id)).toEqual({ status, payment_status: 'unpaid' });
    });

    it('When a paid order was cancelled and refunded, then paying it again is 409 invalid_transition (not "already paid")', async () => {
      const { user, order } = await pendingOrder();
      await request(api.app).post(payment(order.id)).set(bearer(user.access)).send({ payment_method: 'paypal' }).expect(200);
      await request(api.app).post(`/api/v1/orders/${order.id}/cancel/`).set(bearer(user.access)).expect(200);
      expect(await statusOf(api, order.id)).toEqual({ status: 'cancelled', payment_status: 'refunded' });
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.success));
      expect(response.status).toBe(409);
      const message = 'Cannot pay an order that is cancelled.';
      expect(response.body).toEqual({ detail: message, code: 'invalid_transition', error: message, status: 'cancelled', requested: 'paid', allowed: [] });
      expect((await paymentsOf(api, order.id)).map((row) => row.status)).toEqual(['refunded']);
    });

    it("When someone else's order or a missing order is paid, then 404 and nothing is charged", async () => {
      const { order } = await pendingOrder();
      const stranger = await registerUser(api);
      const theirs = await request(api.app).post(payment(order.id)).set(bearer(stranger.access)).send(card(TEST_CARDS.success));
      expect(theirs.status).toBe(404);
      expect(theirs.body).toEqual(NO_ORDER);
      const missing = await request(api.app).post(payment(9_999_999)).set(bearer(stranger.access)).send(card(TEST_CARDS.success));
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(NO_ORDER);
      expect(await paymentsOf(api, order.id)).toEqual([]);
      // Staff are not the owner either: the customer routes stay owner-scoped.
      const byStaff = await request(api.app).post(payment(order.id)).set(bearer(staff.access)).send(card(TEST_CARDS.success));
      expect(byStaff.status).toBe(404);
    });
  });

  describe('confirm', () => {
    it('When confirm is called without a payment, then 409 payment_required and the order is unchanged', async () => {
      const { user, order } = await pendingOrder();
      const response = await request(api.app).post(confirm(order.id)).set(bearer(user.access));
      expect(response.status).toBe(409);
      const message = 'This order has no successful payment: pay it first.';
      expect(response.body).toEqual({ detail: message, code: 'payment_required', error: message });
      expect(await statusOf(api, order.id)).toEqual({ status: 'pending', payment_status: 'unpaid' });
    });

    it('When confirm is called after a payment, then 200 {message, order} and nothing changes, however often', async () => {
      const { user, order } = await pendingOrder();
      await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.success)).expect(200);
      const eventsBefore = await eventsOf(api, order.id);
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const response = await request(api.app).post(confirm(order.id)).set(bearer(user.access));
        expect(response.status).toBe(200);
        expect(Object.keys(response.body)).toEqual(['message', 'order']);
        expect(response.body.message).toBe('Payment confirmed.');
        expect(Object.keys(response.body.order)).toEqual(ORDER_KEYS);
        expect(response.body.order).toMatchObject({ id: order.id, status: 'paid', payment_status: 'paid', total_amount: '59.97' });
      }
      expect(await eventsOf(api, order.id)).toEqual(eventsBefore);
      expect(await paymentsOf(api, order.id)).toHaveLength(1);
    });

    it('When a shipped order is confirmed, then 200 with its current status', async () => {
      const { user, order } = await pendingOrder();
      await request(api.app).post(payment(order.id)).set(bearer(user.access)).send({ payment_method: 'paypal' }).expect(200);
      await setStatus(api, staff, order.id, 'processing');
      await setStatus(api, staff, order.id, 'shipped');
      const response = await request(api.app).post(confirm(order.id)).set(bearer(user.access));
      expect(response.status).toBe(200);
      expect(response.body.order).toMatchObject({ status: 'shipped', payment_status: 'paid' });
    });

    it('When a cancelled unpaid order is confirmed, then 409 payment_required: it is never marked paid', async () => {
      const { user, order } = await pendingOrder();
      await request(api.app).post(`/api/v1/orders/${order.id}/cancel/`).set(bearer(user.access)).expect(200);
      const response = await request(api.app).post(confirm(order.id)).set(bearer(user.access));
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('payment_required');
      expect(await statusOf(api, order.id)).toEqual({ status: 'cancelled', payment_status: 'unpaid' });
    });

    it("When someone else's order is confirmed, then 404", async () => {
      const { user, order } = await pendingOrder();
      await request(api.app).post(payment(order.id)).set(bearer(user.access)).send({ payment_method: 'paypal' }).expect(200);
      const stranger = await registerUser(api);
      const response = await request(api.app).post(confirm(order.id)).set(bearer(stranger.access));
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NO_ORDER);
    });
  });

  describe('Idempotency-Key on order creation', () => {
    it('When the same key and body are sent twice, then the same 201 body, Idempotent-Replayed: true, one order and the stock taken once', async () => {
      const user = await registerUser(api);
      const item = await product('4.00', 10);
      const body = { items: [{ product_id: item.id, quantity: 3 }] };
      const first = await request(api.app).post(CREATE).set(bearer(user.access)).set('Idempotency-Key', 'order-key-1').send(body);
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const second = await request(api.app).post(CREATE).set(bearer(user.access)).set('Idempotency-Key', 'order-key-1').send(body);
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
      // Byte for byte: the replay keeps the key order too.
      expect(second.text).toBe(first.text);
      expect(Object.keys(second.body)).toEqual(ORDER_KEYS);
      expect(await ordersOf(api, user.id)).toBe(1);
      expect(await stockOf(api, item.id)).toBe(7);
    });

    it('When the retry goes to the alias route with the same body and key, then it is the same operation: replayed', async () => {
      const user = await registerUser(api);
      const item = await product('4.00', 10);
      const body = { items: [{ product_id: item.id, quantity: 1 }] };
      const first = await request(api.app).post(CREATE).set(bearer(user.access)).set('Idempotency-Key', 'alias-key').send(body);
      const second = await request(api.app).post('/api/v1/orders/').set(bearer(user.access)).set('Idempotency-Key', 'alias-key').send(body);
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body.id).toBe(first.body.id);
      expect(await ordersOf(api, user.id)).toBe(1);
    });

    it('When the same body arrives with its keys in another order, then it still counts as the same request', async () => {
      const user = await registerUser(api);
      const item = await product('4.00', 10);
      const first = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .set('Idempotency-Key', 'reordered')
        .send({ items: [{ product_id: item.id, quantity: 2 }] });
      const second = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .set('Idempotency-Key', 'reordered')
        .send(JSON.parse(`{"items":[{"quantity":2,"product_id":${item.id}}]}`) as object);
      expect(second.status).toBe(201);
      expect(second.body.id).toBe(first.body.id);
      expect(await stockOf(api, item.id)).toBe(8);
    });

    it('When a replay comes after the order moved on, then it returns the first answer (pending), not the current state', async () => {
      const user = await registerUser(api);
      const item = await product('4.00', 10);
      const body = { items: [{ product_id: item.id, quantity: 1 }] };
      const first = await request(api.app).post(CREATE).set(bearer(user.access)).set('Idempotency-Key', 'then-cancelled').send(body);
      await request(api.app).post(`/api/v1/orders/${first.body.id}/cancel/`).set(bearer(user.access)).expect(200);
      const replay = await request(api.app).post(CREATE).set(bearer(user.access)).set('Idempotency-Key', 'then-cancelled').send(body);
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
      expect(replay.body.status).toBe('pending');
      expect(await stockOf(api, item.id)).toBe(10);
      expect(await ordersOf(api, user.id)).toBe(1);
    });

    it('When the same key comes with a different body, then 422 idempotency_key_reused and nothing is created', async () => {
      const user = await registerUser(api);
      const item = await product('4.00', 10);
      await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .set('Idempotency-Key', 'reused')
        .send({ items: [{ product_id: item.id, quantity: 1 }] })
        .expect(201);
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .set('Idempotency-Key', 'reused')
        .send({ items: [{ product_id: item.id, quantity: 2 }] });
      expect(response.status).toBe(422);
      expect(response.body).toEqual(KEY_REUSED);
      expect(await ordersOf(api, user.id)).toBe(1);
      expect(await stockOf(api, item.id)).toBe(9);
    });

    it('When another user sends the same key, then it is independent: a second order is created for them', async () => {
      const alice = await registerUser(api);
      const bob = await registerUser(api);
      const item = await product('4.00', 10);
      const body = { items: [{ product_id: item.id, quantity: 1 }] };
      const first = await request(api.app).post(CREATE).set(bearer(alice.access)).set('Idempotency-Key', 'shared-key').send(body);
      const second = await request(api.app).post(CREATE).set(bearer(bob.access)).set('Idempotency-Key', 'shared-key').send(body);
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBeUndefined();
      expect(second.body.id).not.toBe(first.body.id);
      expect(second.body.user).toBe(bob.id);
      // Even with a different body, Bob's use of the key is his own.
      const third = await request(api.app)
        .post(CREATE)
        .set(bearer(bob.access))
        .set('Idempotency-Key', 'shared-key')
        .send({ items: [{ product_id: item.id, quantity: 1 }] });
      expect(third.status).toBe(201);
      expect(third.body.id).toBe(second.body.id);
      expect(await stockOf(api, item.id)).toBe(8);
    });

    it('When a keyed request failed with 409 (insufficient stock), then the same key can be retried once stock is added', async () => {
      const user = await registerUser(api);
      const item = await product('4.00', 1);
      const body = { items: [{ product_id: item.id, quantity: 2 }] };
      const refused = await request(api.app).post(CREATE).set(bearer(user.access)).set('Idempotency-Key', 'retry-after-restock').send(body);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('insufficient_stock');
      expect(await countRows(api, 'idempotency_keys', { user_id: user.id })).toBe(0);
      await api.db('products').where({ id: item.id }).update({ stock_quantity: 5 });
      const retried = await request(api.app).post(CREATE).set(bearer(user.access)).set('Idempotency-Key', 'retry-after-restock').send(body);
      expect(retried.status).toBe(201);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(await stockOf(api, item.id)).toBe(3);
      expect(await ordersOf(api, user.id)).toBe(1);
    });

    it('When a keyed request was invalid (400), then the key is not used up: a corrected body with the same key succeeds', async () => {
      const user = await registerUser(api);
      const item = await product('4.00', 5);
      const bad = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .set('Idempotency-Key', 'fix-and-retry')
        .send({ items: [{ product_id: item.id, quantity: 0 }] });
      expect(bad.status).toBe(400);
      const good = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .set('Idempotency-Key', 'fix-and-retry')
        .send({ items: [{ product_id: item.id, quantity: 1 }] });
      expect(good.status).toBe(201);
      expect(await stockOf(api, item.id)).toBe(4);
    });

    it.each([
      ['300 characters', 'k'.repeat(300)],
      ['256 characters', 'k'.repeat(256)],
      ['spaces', 'my order key'],
      ['a tab', 'my\torder'],
    ])('When the key has %s, then 400 on Idempotency-Key and nothing is created', async (_label, key) => {
      const user = await registerUser(api);
      const item = await product('4.00', 5);
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .set('Idempotency-Key', key)
        .send({ items: [{ product_id: item.id, quantity: 1 }] });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ 'Idempotency-Key': [KEY_MESSAGE], code: 'invalid' });
      expect(await ordersOf(api, user.id)).toBe(0);
      expect(await stockOf(api, item.id)).toBe(5);
    });

    it('When the key is 255 visible characters (a UUID is fine too), then it is accepted', async () => {
      const user = await registerUser(api);
      const item = await product('4.00', 5);
      for (const key of ['~'.repeat(255), '6f1c0a52-3b7e-4c1e-9d6a-0b1f2e3d4c5b']) {
        const response = await request(api.app)
          .post(CREATE)
          .set(bearer(user.access))
          .set('Idempotency-Key', key)
          .send({ items: [{ product_id: item.id, quantity: 1 }] });
        expect(response.status).toBe(201);
      }
      expect(await ordersOf(api, user.id)).toBe(2);
    });
  });

  describe('Idempotency-Key on payment', () => {
    it('When the same payment is retried with its key, then the same 200 body is replayed and there is one payment', async () => {
      const { user, order } = await pendingOrder();
      const first = await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'pay-1').send(card(TEST_CARDS.success));
      expect(first.status).toBe(200);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const second = await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'pay-1').send(card(TEST_CARDS.success));
      expect(second.status).toBe(200);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
      expect(second.text).toBe(first.text);
      expect(await paymentsOf(api, order.id)).toHaveLength(1);
      // Without the key, the second attempt is refused instead of replayed.
      const unkeyed = await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(card(TEST_CARDS.success));
      expect(unkeyed.status).toBe(409);
      expect(unkeyed.body.code).toBe('already_paid');
    });

    it('When a keyed payment carries a card, then the stored digest of its body is keyed by a server secret: a plain hash of the body (brute-forceable back to the card) is not what is kept', async () => {
      const { user, order } = await pendingOrder();
      const body = { payment_method: 'card', payment_details: { card_number: TEST_CARDS.success, cvv: '123' } };
      await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'pay-card').send(body).expect(200);
      const stored = await api.db('idempotency_keys').where({ key: 'pay-card', user_id: user.id }).first<{ request_hash: string }>('request_hash');
      // JSON with sorted keys, as the digest is taken over: what anyone holding the table could hash for every card number.
      const canonical = `{"payment_details":{"card_number":"${TEST_CARDS.success}","cvv":"123"},"payment_method":"card"}`;
      expect(stored.request_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.request_hash).not.toBe(createHash('sha256').update(canonical).digest('hex'));
      // It still recognises the same request, and another card under the key is still 422.
      const replay = await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'pay-card').send(body);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      const other = await request(api.app)
        .post(payment(order.id))
        .set(bearer(user.access))
        .set('Idempotency-Key', 'pay-card')
        .send({ ...body, payment_details: { card_number: TEST_CARDS.declined, cvv: '123' } });
      expect(other.status).toBe(422);
    });

    it('When the payment key is reused with another body, then 422 and nothing is charged', async () => {
      const { user, order } = await pendingOrder();
      await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'pay-2').send({ payment_method: 'paypal' }).expect(200);
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'pay-2').send({ payment_method: 'bank_transfer' });
      expect(response.status).toBe(422);
      expect(response.body).toEqual(KEY_REUSED);
      expect(await paymentsOf(api, order.id)).toHaveLength(1);
    });

    it('When a declined payment is replayed with its key, then the 402 comes back and no new payment row is written', async () => {
      const { user, order } = await pendingOrder();
      const first = await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'declined-key').send(card(TEST_CARDS.declined));
      expect(first.status).toBe(402);
      const replay = await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'declined-key').send(card(TEST_CARDS.declined));
      expect(replay.status).toBe(402);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      expect(replay.text).toBe(first.text);
      expect(replay.body.decline_code).toBe('card_declined');
      expect(await paymentsOf(api, order.id)).toHaveLength(1);
      // A new attempt needs a new key (or none).
      const next = await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'declined-key-2').send(card(TEST_CARDS.success));
      expect(next.status).toBe(200);
      expect((await paymentsOf(api, order.id)).map((row) => row.status)).toEqual(['declined', 'succeeded']);
    });

    it('When a keyed payment failed at the provider (502), then the key is free: a retry with it is processed afresh', async () => {
      const { user, order } = await pendingOrder();
      const failed = await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'flaky').send(card(TEST_CARDS.processingError));
      expect(failed.status).toBe(502);
      expect(failed.body).toEqual(PROVIDER_ERROR);
      expect(await countRows(api, 'idempotency_keys', { user_id: user.id })).toBe(0);
      const retried = await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'flaky').send(card(TEST_CARDS.success));
      expect(retried.status).toBe(200);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(await paymentsOf(api, order.id)).toHaveLength(1);
    });

    it('When one key is used for an order and for its payment, then the two operations do not collide', async () => {
      const user = await registerUser(api);
      const item = await product('5.00', 5);
      const created = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .set('Idempotency-Key', 'one-key')
        .send({ items: [{ product_id: item.id, quantity: 1 }] });
      expect(created.status).toBe(201);
      const paid = await request(api.app).post(payment(created.body.id as number)).set(bearer(user.access)).set('Idempotency-Key', 'one-key').send({ payment_method: 'paypal' });
      expect(paid.status).toBe(200);
      expect(paid.headers['idempotent-replayed']).toBeUndefined();
      expect(paid.body.order.status).toBe('paid');
    });

    it('When the same key pays two different orders, then each is its own operation', async () => {
      const user = await registerUser(api);
      const item = await product('5.00', 5);
      const a = await placeOrder(api, user, { items: [{ product_id: item.id, quantity: 1 }] });
      const b = await placeOrder(api, user, { items: [{ product_id: item.id, quantity: 1 }] });
      for (const id of [a.id, b.id]) {
        const response = await request(api.app).post(payment(id)).set(bearer(user.access)).set('Idempotency-Key', 'per-order').send({ payment_method: 'paypal' });
        expect(response.status).toBe(200);
        expect(response.body.order.id).toBe(id);
      }
      expect(await statusOf(api, a.id)).toEqual({ status: 'paid', payment_status: 'paid' });
      expect(await statusOf(api, b.id)).toEqual({ status: 'paid', payment_status: 'paid' });
    });

    it('When the payment key is invalid, then 400 and nothing is charged', async () => {
      const { user, order } = await pendingOrder();
      const response = await request(api.app).post(payment(order.id)).set(bearer(user.access)).set('Idempotency-Key', 'has spaces in it').send(card(TEST_CARDS.success));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ 'Idempotency-Key': [KEY_MESSAGE], code: 'invalid' });
      expect(await paymentsOf(api, order.id)).toEqual([]);
    });
  });
});
