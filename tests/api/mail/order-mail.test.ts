import request from 'supertest';
import { createLogger } from '../../../api/infra/logger';
import { createMailer } from '../../../api/infra/mailer';
import { createOrderMail, type OrderMail } from '../../../api/modules/mail';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, type CategoryRecord, type ProductRecord } from '../../support/catalog';
import { startSmtpReceiver, type ReceivedMail, type SmtpReceiver } from '../../support/smtp';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { cancel, CREATE, payOrder, placeOrder, setStatus, shippingInput, type OrderBody } from '../orders/order-helpers';
import { deliveriesOf, header, mailWithId, orderEvent, orderEvents, SHOP_MAIL_SETTINGS } from './mail-helpers';

/**
 * The customer's order mail, end to end: a real order lifecycle through the API writes its events into the
 * outbox, and each event is mailed (as the worker does) through a real SMTP server.
 */
describe('order mail', () => {
  let smtp: SmtpReceiver;
  let api: TestApi;
  let mail: OrderMail;
  let category: CategoryRecord;
  let staff: RegisteredUser;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    api = await startTestApi({ ...SHOP_MAIL_SETTINGS, MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url });
    const logger = createLogger({ level: 'silent' });
    mail = createOrderMail({ db: api.db, mailer: createMailer(api.config.mail, logger), config: api.config, logger });
    category = await insertCategory(api, { name: 'Mail', slug: 'mail' });
    staff = await registerStaff(api);
  });
  afterAll(async () => {
    await api.close();
    await smtp.close();
  });

  let sequence = 0;
  const product = (price = '12.50', stock = 10): Promise<ProductRecord> => {
    sequence += 1;
    return insertProduct(api, { title: `Teapot ${sequence}`, category_id: category.id, price, stock_quantity: stock });
  };

  /** A customer's order of 2 × a 12.50 teapot and 1 × a 3.00 spoon, shipped to `address`. */
  async function placed(address = shippingInput()): Promise<{ customer: RegisteredUser; order: OrderBody; teapot: ProductRecord }> {
    const customer = await registerUser(api);
    const teapot = await product('12.50');
    const spoon = await product('3.00');
    const order = await placeOrder(api, customer, { items: [{ product_id: teapot.id, quantity: 2 }, { product_id: spoon.id, quantity: 1 }], shipping_address: address });
    return { customer, order, teapot };
  }

  /** Mails the order's event of `type` and returns what arrived. */
  async function mailed(orderId: number, type: string): Promise<{ eventId: string; message: ReceivedMail }> {
    const event = await orderEvent(api, orderId, type);
    expect(await mail.send({ eventId: event.id })).toEqual({ outcome: 'succeeded' });
    const message = mailWithId(smtp.messages(), `<${event.id}.${type.replace('.', '-')}@acme.test>`);
    if (!message) throw new Error(`no mail arrived for ${type} of order ${orderId}`);
    return { eventId: event.id, message };
  }

  const html = (message: ReceivedMail): string => (typeof message.parsed.html === 'string' ? message.parsed.html : '');

  it('When an order is placed, paid, prepared, shipped and delivered, then its mailed events each send one mail with both parts, the shop\'s sender, Reply-To and a stable Message-ID; the others send none', async () => {
    const { customer, order, teapot } = await placed();
    await payOrder(api, customer, order.id);
    await setStatus(api, staff, order.id, 'processing');
    await setStatus(api, staff, order.id, 'shipped');
    await setStatus(api, staff, order.id, 'delivered');

    const events = await orderEvents(api, order.id);
    expect(events.map((event) => event.type)).toEqual(['order.placed', 'order.paid', 'order.processing', 'order.shipped', 'order.delivered']);
    const before = smtp.mailsTo(customer.email).length;
    const results = [];
    for (const event of events) results.push(await mail.send({ eventId: event.id }));
    expect(results).toEqual([
      { outcome: 'succeeded' },
      { outcome: 'succeeded' },
      { outcome: 'skipped', reason: 'no mail is sent for order.processing' },
      { outcome: 'succeeded' },
      { outcome: 'skipped', reason: 'no mail is sent for order.delivered' },
    ]);

    const received = smtp.mailsTo(customer.email).slice(before);
    expect(received.map((message) => message.subject)).toEqual([
      `Acme Store: we have received your order #${order.id}`,
      `Acme Store: payment received for order #${order.id}`,
      `Acme Store: order #${order.id} is on its way`,
    ]);
    const mailedEvents = [events[0], events[1], events[3]].map((event) => event!);
    received.forEach((message, index) => {
      const event = mailedEvents[index]!;
      expect(message.to).toEqual([customer.email]);
      expect(message.from).toBe('orders@acme.test');
      expect(message.parsed.from?.value).toEqual([{ address: 'orders@acme.test', name: 'Acme Store' }]);
      expect(message.parsed.replyTo?.value).toEqual([{ address: 'help@acme.test', name: '' }]);
      expect(message.parsed.messageId).toBe(`<${event.id}.${event.type.replace('.', '-')}@acme.test>`);
      expect(header(message, 'X-Nexus-Event-Id')).toBe(event.id);
      expect(header(message, 'Auto-Submitted')).toBe('auto-generated');
      // Both parts, each with the lines, the total, the address, the link and the support address.
      for (const part of [message.text, html(message)]) {
        expect(part).toContain(`${teapot.title} × 2`);
        expect(part).toContain('$25.00');
        expect(part).toContain('$3.00');
        expect(part).toContain('$28.00');
        expect(part).toContain('12 Analytical Row');
        expect(part).toContain('N1 9GU London');
        expect(part).toContain(`https://acme.test/account/orders/${order.id}/`);
        expect(part).toContain('help@acme.test');
        expect(part).toContain('Hello Ada,');
      }
      expect(html(message)).toMatch(/^<!doctype html>/);
    });

    const [confirmation, payment, shipped] = received as [ReceivedMail, ReceivedMail, ReceivedMail];
    expect(confirmation.text).toContain('Your items are reserved for you until');
    expect(confirmation.text).toContain(`  ${teapot.title} × 2: $25.00\n`);
    expect(confirmation.text).toContain('  Total: $28.00\n');
    expect(payment.text).toContain(`We have received your payment of $28.00 for order #${order.id}.`);
    expect(payment.text).not.toContain('reserved for you');
    expect(shipped.text).toContain(`Tracking number: ${order.tracking_number}`);
    expect(html(shipped)).toContain(order.tracking_number);

    for (const event of mailedEvents) {
      expect(await deliveriesOf(api, event.id)).toEqual([
        expect.objectContaining({ status: 'sent', recipient: customer.email, attempts: 1, last_error: null, locked_until: null, message_id: `<${event.id}.${event.type.replace('.', '-')}@acme.test>`, sent_at: expect.any(String) }),
      ]);
    }
  });

  it('When the plain text part is read, then it reads as a letter: greeting, the order block, the signature', async () => {
    const { customer, order, teapot } = await placed();
    await payOrder(api, customer, order.id);
    const { message } = await mailed(order.id, 'order.paid');
    const spoonTitle = `Teapot ${sequence}`;
    expect(message.text.trim()).toBe(
      [
        'Hello Ada,',
        '',
        `We have received your payment of $28.00 for order #${order.id}. We are preparing your order now and will let you know when it ships.`,
        '',
        `Order #${order.id}, placed on ${new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(order.created_at))}`,
        '',
        `  ${teapot.title} × 2: $25.00`,
        `  ${spoonTitle} × 1: $3.00`,
        '  Total: $28.00',
        '',
        'Shipping to:',
        '  Ada Lovelace',
        '  12 Analytical Row',
        '  Flat 3',
        '  N1 9GU London',
        '  United Kingdom',
        '',
        `Your order online: https://acme.test/account/orders/${order.id}/`,
        '',
        '--',
        'Acme Store',
        'Questions? Reply to this message or write to help@acme.test.',
      ].join('\n'),
    );
  });

  it('When a paid order is cancelled by its customer, then the mail says it was cancelled as asked and how much was refunded', async () => {
    const { customer, order } = await placed();
    await payOrder(api, customer, order.id);
    expect((await request(api.app).post(cancel(order.id)).set(bearer(customer.access))).status).toBe(200);

    const { message } = await mailed(order.id, 'order.cancelled');
    expect(message.subject).toBe(`Acme Store: order #${order.id} has been cancelled and refunded`);
    expect(message.text).toContain(`Order #${order.id} has been cancelled as you asked.`);
    expect(message.text).toMatch(/We have refunded \$28\.00 to the payment method you used \(refund reference [^)]+\)\./);
    expect(html(message)).toContain('We have refunded <strong>$28.00</strong>');
  });

  it('When an unpaid order is cancelled by staff, then the mail says so and that nothing was charged', async () => {
    const { order } = await placed();
    await setStatus(api, staff, order.id, 'cancelled');

    const { message } = await mailed(order.id, 'order.cancelled');
    expect(message.subject).toBe(`Acme Store: order #${order.id} has been cancelled`);
    expect(message.text).toContain(`Order #${order.id} has been cancelled by our team.`);
    expect(message.text).toContain('No payment had been taken for this order, so there is nothing to refund.');
    expect(message.text).not.toContain('refunded');
  });

  it('When an order is not paid before its deadline, then the expiry mail says payment did not arrive in time and the items were released', async () => {
    const { order } = await placed();
    await api.db('orders').where({ id: order.id }).update({ payment_due_at: api.db.raw("now() - interval '1 second'") });
    expect(await api.runtime.orderExpiry.expireOverdue({})).toBeGreaterThanOrEqual(1);
    expect((await orderEvents(api, order.id)).map((event) => event.type)).toEqual(['order.placed', 'order.expired']);

    const { message } = await mailed(order.id, 'order.expired');
    expect(message.subject).toBe(`Acme Store: order #${order.id} was cancelled, payment not received in time`);
    expect(message.text).toContain(`We did not receive payment for order #${order.id} in time, so we have cancelled it and released the items we were holding for you. You have not been charged.`);
    expect(message.text).toContain('place a new order');
    expect(html(message)).toContain('released the items');
  });

  it('When the shipping name and address carry HTML, then the HTML part shows it as text and the plain part as written', async () => {
    const hostile = shippingInput({
      first_name: '<script>alert("x")</script>',
      last_name: 'O\'Brien & Sons',
      address_line_1: '<img src=x onerror=alert(1)>',
      city: '"><b>Town</b>',
    });
    const { order } = await placed(hostile);
    const { message } = await mailed(order.id, 'order.placed');

    const body = html(message);
    expect(body).not.toContain('<script');
    expect(body).not.toContain('<img');
    expect(body).not.toContain('<b>Town');
    expect(body).toContain('Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;,');
    expect(body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Brien &amp; Sons');
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(message.text).toContain('Hello <script>alert("x")</script>,');
    expect(message.text).toContain('  <img src=x onerror=alert(1)>\n');
  });

  it('When one event is mailed twice (a job run again), then one mail goes out and the second call is skipped', async () => {
    const { customer, order } = await placed();
    const event = await orderEvent(api, order.id, 'order.placed');
    const before = smtp.mailsTo(customer.email).length;

    expect(await mail.send({ eventId: event.id })).toEqual({ outcome: 'succeeded' });
    expect(await mail.send({ eventId: event.id })).toEqual({ outcome: 'skipped', reason: `already sent (<${event.id}.order-placed@acme.test>)` });
    expect(smtp.mailsTo(customer.email).length).toBe(before + 1);
    expect(await deliveriesOf(api, event.id)).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })]);
  });

  it('When the same event is mailed by two workers at once, then one sends and the other is told to come back after the lease', async () => {
    const { customer, order } = await placed();
    const event = await orderEvent(api, order.id, 'order.placed');
    const before = smtp.mailsTo(customer.email).length;

    const results = await Promise.all([mail.send({ eventId: event.id }), mail.send({ eventId: event.id })]);
    expect(results).toEqual(expect.arrayContaining([{ outcome: 'succeeded' }, { outcome: 'retry', reason: 'another attempt at this mail is under way', delayMs: expect.any(Number) }]));
    expect(smtp.mailsTo(customer.email).length).toBe(before + 1);
    // Coming back later finds it sent.
    expect((await mail.send({ eventId: event.id })).outcome).toBe('skipped');
  });

  it('When a checkout fails for want of stock, then no event is written and so no mail can go out', async () => {
    const customer = await registerUser(api);
    const scarce = await product('9.00', 1);
    const eventCount = async () => Number((await api.db('events').count<{ n: number }[]>({ n: '*' }))[0]?.n);
    const eventsBefore = await eventCount();
    const mailsBefore = smtp.messages().length;

    const refused = await request(api.app).post(CREATE).set(bearer(customer.access)).send({ items: [{ product_id: scarce.id, quantity: 2 }] });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('insufficient_stock');

    expect(await eventCount()).toBe(eventsBefore);
    expect(await api.db('orders').where({ user_id: customer.id }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 0 }]);
    expect(smtp.messages().length).toBe(mailsBefore);
  });

  it('When an event is not an order mail, is gone, or its order has no email, then send skips it with the reason and sends nothing', async () => {
    const { order } = await placed();
    const placedEvent = await orderEvent(api, order.id, 'order.placed');
    const mailsBefore = smtp.messages().length;

    const [registration] = await api.db('events').where({ type: 'user.registered' }).limit(1).select<{ id: string }[]>('id');
    expect(await mail.send({ eventId: registration!.id })).toEqual({ outcome: 'skipped', reason: 'no mail is sent for user.registered' });
    expect(await mail.send({ eventId: '00000000-0000-4000-8000-000000000000' })).toEqual({ outcome: 'skipped', reason: 'event 00000000-0000-4000-8000-000000000000 no longer exists' });

    // An order event without a customer address (as an order of a since-erased account might be written).
    const payload = (await api.db('events').where({ id: placedEvent.id }).first<{ payload: { data: { object: Record<string, unknown> } } }>('payload')).payload;
    payload.data.object.user_email = '';
    const [orphan] = await api
      .db('events')
      .insert({ type: 'order.placed', resource_type: 'order', resource_id: String(order.id), payload: JSON.stringify(payload) })
      .returning<{ id: string }[]>('id');
    expect(await mail.send({ eventId: orphan!.id })).toEqual({ outcome: 'skipped', reason: `order ${order.id} has no customer email` });
    expect(await deliveriesOf(api, orphan!.id)).toEqual([]);
    expect(smtp.messages().length).toBe(mailsBefore);
  });
});
