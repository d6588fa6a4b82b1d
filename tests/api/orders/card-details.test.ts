import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../../../api/infra/logger';
import { TEST_CARDS } from '../../../api/modules/orders';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, type CategoryRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { payment, paymentsOf, placeOrder, statusOf, type OrderBody } from './order-helpers';

const INVALID_NUMBER = 'Enter a valid card number.';
const INVALID_CVV = 'Enter a valid CVV (3 or 4 digits).';
const EXPIRED = 'This card has expired.';
const REQUIRED = 'This field is required.';
/** The API's clock for this file: mid-June 2030, so expiry dates are judged deterministically. */
const TODAY = '2030-06-15T12:00:00Z';

const nested = (details: Record<string, unknown>, method = 'card') => ({ payment_method: method, payment_details: details });
const flat = (details: Record<string, unknown>, method = 'card') => ({ payment_method: method, ...details });
const full = { card_number: TEST_CARDS.success, expiry_month: '06', expiry_year: '2030', cvv: '123' };

/**
 * Card details are checked before anything is charged (issue 16, item 7): the card number (12-19 digits,
 * Luhn), the expiry date (not in the past, by the API's injected clock) and the CVV (3 or 4 digits), inside
 * payment_details or flat at the top level as old clients send them. A refusal is a DRF-shaped 400 that
 * records nothing; card data never reaches the database or the logs.
 */
describe('card details of a payment', () => {
  let api: TestApi;
  let category: CategoryRecord;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    category = await insertCategory(api, { name: 'Cards', slug: 'cards' });
  });
  afterAll(() => api.close());

  function setClock(iso: string): void {
    api.clock.advance((Date.parse(iso) - api.clock.now()) / 1000);
  }

  /** A new customer (registered at the clock's time, so their token is fresh) with a pending order of 19.99. */
  async function pendingOrder(at = TODAY): Promise<{ user: RegisteredUser; order: OrderBody }> {
    setClock(at);
    const user = await registerUser(api);
    const item = await insertProduct(api, { title: 'Gift card sleeve', category_id: category.id, price: '19.99', stock_quantity: 5 });
    return { user, order: await placeOrder(api, user, { items: [{ product_id: item.id, quantity: 1 }] }) };
  }

  async function pay(body: object, at = TODAY): Promise<{ response: request.Response; order: OrderBody }> {
    const { user, order } = await pendingOrder(at);
    // Again, right before the payment: registering took real time (seconds on a loaded host), and a boundary
    // test one second before the end of a month must not drift past it.
    setClock(at);
    return { response: await request(api.app).post(payment(order.id)).set(bearer(user.access)).send(body), order };
  }

  async function expectRefused(body: object, errors: Record<string, unknown>, at = TODAY): Promise<void> {
    const { response, order } = await pay(body, at);
    expect([response.status, response.body]).toEqual([400, { ...errors, code: 'invalid' }]);
    expect(await paymentsOf(api, order.id)).toEqual([]);
    expect(await statusOf(api, order.id)).toEqual({ status: 'pending', payment_status: 'unpaid' });
  }

  describe.each([
    ['inside payment_details', nested, (errors: Record<string, unknown>) => ({ payment_details: errors })],
    ['flat at the top level', flat, (errors: Record<string, unknown>) => errors],
  ])('sent %s', (_form, body, at) => {
    it.each([
      ['a number failing the Luhn check', { card_number: '1111111111111111' }, { card_number: [INVALID_NUMBER] }],
      ['a test number with one digit changed', { card_number: '4242424242424241' }, { card_number: [INVALID_NUMBER] }],
      ['an 11-digit number', { card_number: '42424242424' }, { card_number: [INVALID_NUMBER] }],
      ['a blank number', { card_number: '' }, { card_number: ['This field may not be blank.'] }],
      ['an expiry in January 2020', { ...full, expiry_month: '01', expiry_year: '2020' }, { non_field_errors: [EXPIRED] }],
      ['an expiry of 1/20 as numbers', { ...full, expiry_month: 1, expiry_year: 20 }, { non_field_errors: [EXPIRED] }],
      ['last month', { ...full, expiry_month: 5, expiry_year: 2030 }, { non_field_errors: [EXPIRED] }],
      ['month 13', { ...full, expiry_month: 13 }, { expiry_month: ['Ensure this value is less than or equal to 12.'] }],
      ['month 0', { ...full, expiry_month: '0' }, { expiry_month: ['Ensure this value is greater than or equal to 1.'] }],
      ['month "June"', { ...full, expiry_month: 'June' }, { expiry_month: ['A valid integer is required.'] }],
      ['a three-digit year', { ...full, expiry_year: '203' }, { expiry_year: ['A valid integer is required.'] }],
      ['a month without a year', { card_number: TEST_CARDS.success, expiry_month: 6 }, { expiry_year: [REQUIRED] }],
      ['a year without a month', { card_number: TEST_CARDS.success, expiry_year: 2031 }, { expiry_month: [REQUIRED] }],
      ['CVV "12"', { ...full, cvv: '12' }, { cvv: [INVALID_CVV] }],
      ['CVV "abc"', { ...full, cvv: 'abc' }, { cvv: [INVALID_CVV] }],
      ['CVV "12345"', { ...full, cvv: '12345' }, { cvv: [INVALID_CVV] }],
      ['an empty CVV', { ...full, cvv: '' }, { cvv: ['This field may not be blank.'] }],
      ['CVV 12 as a number', { ...full, cvv: 12 }, { cvv: [INVALID_CVV] }],
      ['CVV null', { ...full, cvv: null }, { cvv: ['This field may not be null.'] }],
      ['a CVV without a card number', { cvv: '123' }, { card_number: [REQUIRED] }],
      ['an expiry without a card number', { expiry_month: 6, expiry_year: 2031 }, { card_number: [REQUIRED] }],
    ])('When the card has %s, then 400 and nothing is charged or recorded', async (_label, details, errors) => {
      await expectRefused(body(details), at(errors));
    });

    it.each([
      ['the success card with every detail', full],
      ['a spaced number, a two-digit year and a numeric CVV', { card_number: '4242 4242 4242 4242', expiry_month: 12, expiry_year: '34', cvv: 123 }],
      ['a four-digit CVV and this month\'s expiry', { ...full, cvv: '1234' }],
      ['only a card number (as before)', { card_number: TEST_CARDS.success }],
    ])('When the card has %s, then 200 and the order is paid', async (_label, details) => {
      const { response, order } = await pay(body(details));
      expect(response.status).toBe(200);
      expect(await statusOf(api, order.id)).toEqual({ status: 'paid', payment_status: 'paid' });
    });

    it('When a test card that declines has valid details, then the provider still answers by number (402)', async () => {
      const { response } = await pay(body({ ...full, card_number: TEST_CARDS.declined }));
      expect(response.status).toBe(402);
      expect(response.body).toMatchObject({ code: 'payment_declined', decline_code: 'card_declined' });
    });
  });

  it('When a card method is sent without any card details, then it is paid as old clients expect (the simulated provider only)', async () => {
    for (const method of ['card', 'credit_card', 'debit_card']) {
      const { response } = await pay({ payment_method: method });
      expect([method, response.status]).toEqual([method, 200]);
    }
  });

  it('When PayPal or a bank transfer comes with card details, then they must still be valid (and are not used)', async () => {
    await expectRefused(nested({ card_number: '1111111111111111' }, 'paypal'), { payment_details: { card_number: [INVALID_NUMBER] } });
    await expectRefused(flat({ ...full, cvv: 'abc' }, 'bank_transfer'), { cvv: [INVALID_CVV] });
    expect((await pay(flat({ ...full, card_number: TEST_CARDS.declined }, 'paypal'))).response.status).toBe(200);
  });

  it('When a field is sent both nested and flat with different values, then 400; the same value twice is fine', async () => {
    await expectRefused({ ...nested({ card_number: TEST_CARDS.success }), card_number: TEST_CARDS.declined }, {
      payment_details: { card_number: ['Differs from the top-level field of the same name: send it once.'] },
    });
    expect((await pay({ ...nested(full), ...full })).response.status).toBe(200);
  });

  it('When the expiry month ends, then the card works through its last second and is refused from the next (UTC, injected clock)', async () => {
    const card = nested({ ...full, expiry_month: 6, expiry_year: 2030 });
    expect((await pay(card, '2030-06-30T23:59:59Z')).response.status).toBe(200);
    await expectRefused(card, { payment_details: { non_field_errors: [EXPIRED] } }, '2030-07-01T00:00:00Z');
  });

  it('When a card pays, then neither its number nor its CVV is in the database or the logs', async () => {
    const secretCvv = '9731';
    const { response, order } = await pay(nested({ ...full, cvv: secretCvv }));
    expect(response.status).toBe(200);
    const { rows } = await api.db.raw<{ rows: unknown[] }>('SELECT * FROM payments WHERE order_id = ?', [order.id]);
    const keys = await api.db('idempotency_keys').select('*');
    const stored = JSON.stringify([rows, keys]);
    const logged = JSON.stringify(api.logs());
    // Four digits also occur inside timestamps, durations and hex digests (time 1796644739731): look for the CVV as a value of its own.
    const cvvAlone = new RegExp(`(?<![\\w.])${secretCvv}(?![\\w.])`);
    for (const text of [stored, logged, JSON.stringify(response.body)]) {
      expect(text).not.toContain(TEST_CARDS.success);
      expect(text).not.toMatch(cvvAlone);
    }
  });

  it('When a payment body is logged by mistake, then the logger censors its card details, nested or flat', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info' }, sink);
    logger.info({ body: { payment_method: 'card', payment_details: { card_number: TEST_CARDS.success, cvv: '123' } } }, 'nested');
    logger.info({ body: { payment_method: 'card', card_number: TEST_CARDS.success, cvv: '4321', expiry_month: 6 } }, 'flat');
    expect(lines.map((line) => (JSON.parse(line) as { body: unknown }).body)).toEqual([
      { payment_method: 'card', payment_details: '[redacted]' },
      { payment_method: 'card', card_number: '[redacted]', cvv: '[redacted]', expiry_month: 6 },
    ]);
  });
});
