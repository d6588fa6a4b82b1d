import { createLogger } from '../../../api/infra/logger';
import { outboxState } from '../../../api/modules/events';
import { startWorker, type RunningWorker } from '../../../api/worker';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, type CategoryRecord } from '../../support/catalog';
import { waitFor } from '../../support/components';
import { startSmtpReceiver, type SmtpReceiver } from '../../support/smtp';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { cancel, CREATE, payOrder, placeOrder, setStatus } from '../orders/order-helpers';
import { SHOP_MAIL_SETTINGS } from '../mail/mail-helpers';

/**
 * Order mail end to end: the API writes events, the worker (with the run's Redis queue) relays them and sends
 * the mail to a real SMTP server. Only committed changes are mailed, each once, never during the request.
 */
describe('order mail through the worker', () => {
  let api: TestApi;
  let smtp: SmtpReceiver;
  let worker: RunningWorker;
  let category: CategoryRecord;
  let staff: RegisteredUser;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    api = await startTestApi({ ...SHOP_MAIL_SETTINGS, MAIL_TRANSPORT: 'smtp', SMTP_URL: smtp.url, WORKER_POLL_INTERVAL: '100', ORDER_URL: 'https://acme.test/account/orders/{id}/' });
    worker = await startWorker(api.config, createLogger({ level: 'warn' }));
    category = await insertCategory(api, { name: 'Mailed aisle', slug: 'mailed-aisle' });
    staff = await registerStaff(api);
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await smtp?.close();
  });

  const subjects = (email: string) => smtp.mailsTo(email).map((mail) => mail.subject);

  it('When an order is placed, paid, moved through processing, shipped and delivered, then the customer gets confirmation, payment and shipping mail, once each', async () => {
    const customer = await registerUser(api);
    const kettle = await insertProduct(api, { title: 'Mailed kettle', category_id: category.id, price: '45.00', stock_quantity: 5 });
    const placed = await placeOrder(api, customer, { items: [{ product_id: kettle.id, quantity: 1 }] });
    await smtp.waitForMail(customer.email);
    await payOrder(api, customer, placed.id);
    await smtp.waitForMail(customer.email, { after: 1 });
    await setStatus(api, staff, placed.id, 'processing');
    await setStatus(api, staff, placed.id, 'shipped');
    const shipped = await smtp.waitForMail(customer.email, { after: 2 });
    await setStatus(api, staff, placed.id, 'delivered');
    // Give the worker time to (wrongly) send more: processing and delivered are not mailed.
    await waitFor('the outbox to drain', async () => (await outboxState(api.db)).unrelayed === 0 && (await worker.queue.counts()).waiting === 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const mails = smtp.mailsTo(customer.email);
    expect(mails).toHaveLength(3);
    expect(subjects(customer.email).every((subject) => subject.includes(String(placed.id)))).toBe(true);
    for (const mail of mails) {
      expect(mail.parsed.from?.text).toContain('orders@acme.test');
      expect(mail.parsed.html).toBeTruthy();
      expect(mail.text.length).toBeGreaterThan(50);
    }
    expect(shipped.text).toContain(placed.tracking_number);
    expect(shipped.text).toContain(`https://acme.test/account/orders/${placed.id}/`);
  });

  it('When a paid order is cancelled, then the customer is told of the refund; a checkout refused for stock sends nothing', async () => {
    const customer = await registerUser(api);
    const lamp = await insertProduct(api, { title: 'Mailed lamp', category_id: category.id, price: '19.50', stock_quantity: 1 });
    const refused = await request(api.app).post(CREATE).set(bearer(customer.access)).send({ items: [{ product_id: lamp.id, quantity: 2 }] });
    expect(refused.status).toBe(409);
    const placed = await placeOrder(api, customer, { items: [{ product_id: lamp.id, quantity: 1 }] });
    await payOrder(api, customer, placed.id);
    expect((await request(api.app).post(cancel(placed.id)).set(bearer(customer.access))).status).toBe(200);
    const cancelled = await smtp.waitForMail(customer.email, { after: 2 });
    expect(cancelled.text).toContain('19.50');
    await waitFor('the outbox to drain', async () => (await outboxState(api.db)).unrelayed === 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Confirmation, payment, cancellation: the refused checkout wrote no event and so no mail.
    expect(smtp.mailsTo(customer.email)).toHaveLength(3);
  });
});
