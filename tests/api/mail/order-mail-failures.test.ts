import { Writable } from 'node:stream';
import { createLogger } from '../../../api/infra/logger';
import { LogMailer, SmtpMailer, type Mailer } from '../../../api/infra/mailer';
import { createOrderMail, type OrderMail } from '../../../api/modules/mail';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, type CategoryRecord } from '../../support/catalog';
import { startSmtpReceiver, type SmtpReceiver } from '../../support/smtp';
import { registerUser } from '../../support/users';
import { placeOrder, shippingInput } from '../orders/order-helpers';
import { deliveriesOf, orderEvent, SHOP_MAIL_SETTINGS } from './mail-helpers';
import { deadSmtpUrl, startRefusingSmtp, type RefusingSmtp } from './refusing-smtp';

const FROM = SHOP_MAIL_SETTINGS.MAIL_FROM;

/**
 * When the mail server does not take an order mail: a temporary refusal (4xx) or no server at all is retried
 * within DELIVERY_RETRY_WINDOW, a permanent one (5xx) is not; and with MAIL_TRANSPORT=log the mail is in the log.
 */
describe('order mail: failures, retries and the development log', () => {
  let api: TestApi;
  let category: CategoryRecord;
  let greylisting: RefusingSmtp;
  let bouncing: RefusingSmtp;
  let receiver: SmtpReceiver;
  const quiet = createLogger({ level: 'silent' });

  beforeAll(async () => {
    // A 2 s base delay and a 1 minute window: the second retry (4 s, ±20%) still fits, the arithmetic is easy.
    api = await startTestApi({ ...SHOP_MAIL_SETTINGS, DELIVERY_RETRY_BASE_DELAY: '2', DELIVERY_RETRY_MAX_DELAY: '600', DELIVERY_RETRY_WINDOW: '60' });
    category = await insertCategory(api, { name: 'Failing mail', slug: 'failing-mail' });
    greylisting = await startRefusingSmtp(451, '4.7.1 Greylisted, please try again later');
    bouncing = await startRefusingSmtp(550, '5.1.1 No such mailbox here');
    receiver = await startSmtpReceiver();
  });
  afterAll(async () => {
    await api.close();
    await Promise.all([greylisting.close(), bouncing.close(), receiver.close()]);
  });

  const orderMail = (mailer: Mailer): OrderMail => createOrderMail({ db: api.db, mailer, config: api.config, logger: quiet });

  /** A fresh order's order.placed event id and its customer's address. */
  async function placedEvent(): Promise<{ eventId: string; email: string; orderId: number }> {
    const customer = await registerUser(api);
    const item = await insertProduct(api, { title: 'Kettle', category_id: category.id, price: '40.00', stock_quantity: 5 });
    const order = await placeOrder(api, customer, { items: [{ product_id: item.id, quantity: 1 }], shipping_address: shippingInput() });
    return { eventId: (await orderEvent(api, order.id, 'order.placed')).id, email: customer.email, orderId: order.id };
  }

  it('When the server answers 451 (try later), then the outcome is retry after the base delay, and the attempt and the error are recorded', async () => {
    const { eventId } = await placedEvent();
    const offered = greylisting.offered();

    const result = await orderMail(new SmtpMailer(greylisting.url, FROM)).send({ eventId });
    expect(result).toEqual({ outcome: 'retry', reason: expect.stringMatching(/^SMTP 451: .*Greylisted/), delayMs: expect.any(Number) });
    const { delayMs } = result as { delayMs: number };
    expect(delayMs).toBeGreaterThanOrEqual(1600);
    expect(delayMs).toBeLessThanOrEqual(2400);
    expect(greylisting.offered()).toBe(offered + 1);
    expect(await deliveriesOf(api, eventId)).toEqual([expect.objectContaining({ status: 'retrying', attempts: 1, last_error: expect.stringContaining('451'), message_id: null, sent_at: null, locked_until: null })]);
  });

  it('When the server keeps answering 451 and then takes the mail, then each retry waits longer and the mail goes out once, with the same Message-ID', async () => {
    const { eventId, email } = await placedEvent();
    const refused = orderMail(new SmtpMailer(greylisting.url, FROM));
    const first = (await refused.send({ eventId })) as { outcome: string; delayMs: number };
    const second = (await refused.send({ eventId })) as { outcome: string; delayMs: number };
    expect([first.outcome, second.outcome]).toEqual(['retry', 'retry']);
    expect(second.delayMs).toBeGreaterThan(first.delayMs);

    expect(await orderMail(new SmtpMailer(receiver.url, FROM)).send({ eventId })).toEqual({ outcome: 'succeeded' });
    expect(receiver.mailsTo(email).map((mail) => mail.parsed.messageId)).toEqual([`<${eventId}.order-placed@acme.test>`]);
    expect(await deliveriesOf(api, eventId)).toEqual([expect.objectContaining({ status: 'sent', attempts: 3, last_error: null })]);
  });

  it('When a transient failure comes after the retry window, then the outcome is failed and no retry is asked for', async () => {
    const { eventId } = await placedEvent();
    const refused = orderMail(new SmtpMailer(greylisting.url, FROM));
    expect((await refused.send({ eventId })).outcome).toBe('retry');
    // The first attempt was 59 s ago: the next retry (≥ 3.2 s away) would fall outside the 60 s window.
    await api.db('mail_deliveries').where({ event_id: eventId }).update({ created_at: api.db.raw("now() - interval '59 seconds'") });

    const result = await refused.send({ eventId });
    expect(result).toEqual({ outcome: 'failed', reason: expect.stringMatching(/^SMTP 451: .*\(gave up after 2 attempts: the retry window of 60 s is over\)$/) });
    expect(await deliveriesOf(api, eventId)).toEqual([expect.objectContaining({ status: 'failed', attempts: 2 })]);
  });

  it('When the server answers 550 (no such mailbox), then the outcome is failed at once: a permanent refusal is not retried', async () => {
    const { eventId } = await placedEvent();
    const result = await orderMail(new SmtpMailer(bouncing.url, FROM)).send({ eventId });
    expect(result).toEqual({ outcome: 'failed', reason: expect.stringMatching(/^SMTP 550: .*No such mailbox.*\(refused for good: not retried\)$/) });
    expect(await deliveriesOf(api, eventId)).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, last_error: expect.stringContaining('550') })]);
  });

  it('When no mail server listens, then the outcome is retry (a connection error is transient)', async () => {
    const { eventId } = await placedEvent();
    const result = await orderMail(new SmtpMailer(await deadSmtpUrl(), FROM)).send({ eventId });
    expect(result).toEqual({ outcome: 'retry', reason: expect.stringMatching(/^ESOCKET|^ECONNECTION/), delayMs: expect.any(Number) });
    expect(await deliveriesOf(api, eventId)).toEqual([expect.objectContaining({ status: 'retrying', attempts: 1 })]);
  });

  it('When MAIL_TRANSPORT=log (nexus dev), then the log shows who the mail is to, its subject and its text part, and the delivery counts as sent', async () => {
    const { eventId, email, orderId } = await placedEvent();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info' }, sink);
    const mail = createOrderMail({ db: api.db, mailer: new LogMailer(logger), config: api.config, logger });

    expect(await mail.send({ eventId })).toEqual({ outcome: 'succeeded' });
    const entries = lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string; mail?: Record<string, string> });
    const logged = entries.find((entry) => entry.mail);
    const subject = `Acme Store: we have received your order #${orderId}`;
    expect(logged).toEqual(
      expect.objectContaining({
        msg: `mail to ${email}: "${subject}" (not sent: MAIL_TRANSPORT=log)`,
        mail: { to: email, subject, messageId: `<${eventId}.order-placed@acme.test>`, text: expect.stringContaining('  Kettle × 1: $40.00\n') },
      }),
    );
    expect(logged?.mail?.text).toContain('Hello Ada,');
    expect(logged?.mail?.text).not.toContain('<');
    expect(entries).toContainEqual(expect.objectContaining({ msg: 'order mail sent', eventId, template: 'order-placed', orderId }));
    expect(await deliveriesOf(api, eventId)).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })]);
  });
});
