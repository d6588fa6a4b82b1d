import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MAILED_EVENTS } from '../../../api/modules/events';
import { createMailRenderer, MAIL_TEMPLATES, ORDER_MAIL_TEMPLATES, orderMailView } from '../../../api/modules/mail';

const ORDER = {
  id: 7,
  user_email: 'ada@example.com',
  status: 'pending',
  payment_status: 'unpaid',
  total_amount: '1234.50',
  currency: 'EUR',
  tracking_number: 'TRK00000007',
  created_at: '2026-12-07T23:59:00.000000Z',
  payment_due_at: '2026-12-08T00:29:00.000000Z',
  shipping_address: null,
  items: [{ product_title: 'Lamp & Shade', quantity: 3, unit_price: '411.50', subtotal: '1234.50' }],
};
const SETTINGS = { shop: { name: 'Shop & Co', supportEmail: 'help@shop.test' }, currency: 'USD' };

describe('mail templates', () => {
  const render = createMailRenderer();

  it('When the worker mails an event type, then it has a subject, a text and an HTML template', () => {
    expect(Object.keys(ORDER_MAIL_TEMPLATES).sort()).toEqual([...MAILED_EVENTS].sort());
    for (const template of Object.values(ORDER_MAIL_TEMPLATES)) {
      for (const part of ['subject', 'text', 'html']) expect(existsSync(join(MAIL_TEMPLATES, `${template}.${part}.eta`))).toBe(true);
    }
  });

  it.each(Object.entries(ORDER_MAIL_TEMPLATES))('When %s renders without an address or a link, then the subject is one line, the text part is unescaped and the HTML part escaped', (type, template) => {
    const view = orderMailView({ type: type as keyof typeof ORDER_MAIL_TEMPLATES, data: { object: ORDER, refund: null, cancel_reason: 'staff' } }, SETTINGS);
    const mail = render(template, view);
    expect(mail.subject).toMatch(/^Shop & Co: .*#7/);
    expect(mail.subject).not.toMatch(/\n/);
    expect(mail.text).toContain('Hello,');
    expect(mail.text).toContain('  Lamp & Shade × 3: €1,234.50\n');
    expect(mail.text).not.toContain('Shipping to');
    expect(mail.text).not.toContain('online:');
    expect(mail.text).not.toMatch(/\n{3}/);
    expect(mail.html).toContain('Lamp &amp; Shade × 3');
    expect(mail.html).toContain('Shop &amp; Co');
    expect(mail.html).not.toContain('View your order');
  });

  it('When an order is placed, then the mail gives the payment deadline to the minute, in UTC', () => {
    const view = orderMailView({ type: 'order.placed', data: { object: ORDER } }, SETTINGS);
    expect(render('order-placed', view).text).toContain('reserved for you until 8 December 2026, 00:29 UTC.');
  });
});
