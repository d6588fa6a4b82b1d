import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { consoleSignIn, type ConsoleBrowser } from './console-session';

describe('the staff console: orders (list, detail, every legal move, audited)', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let customer: RegisteredUser;
  let productId: number;
  let console_: ConsoleBrowser;

  async function paidOrder(): Promise<number> {
    const created = await request(api.app).post('/api/v1/orders/').set(bearer(customer.access)).send({ items: [{ product_id: productId, quantity: 2 }] });
    expect(created.status).toBe(201);
    const paid = await request(api.app).post(`/api/v1/orders/${created.body.id}/payment/`).set(bearer(customer.access)).send({ payment_method: 'paypal' });
    expect(paid.status).toBe(200);
    return created.body.id as number;
  }
  const move = (id: number, status: string, note = '') => console_.agent.post(`/admin/orders/${id}/status/`).type('form').send({ csrf: console_.csrf, status, note });
  const buttons = (html: string) => [...html.matchAll(/<button type="submit" class="[^"]*">([^<]+)<\/button>/g)].map((match) => match[1]).filter((label) => !label?.startsWith('Sign out'));
  const stock = async () => (await api.db('products').where({ id: productId }).first()).stock_quantity as number;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', ORDER_MAX_UNPAID: '100' });
    staff = await registerStaff(api);
    customer = await registerUser(api, { email: 'buyer@example.com' });
    const category = await insertCategory(api, { name: 'Tools' });
    productId = (await insertProduct(api, { title: 'Hammer', category_id: category.id, price: '12.50', stock_quantity: 100 })).id;
    console_ = await consoleSignIn(api, staff);
  });
  afterAll(() => api.close());

  it('When a paid order is moved to processing, shipped (with its tracking note) and delivered, then each move is offered only when legal, made by the service and audited', async () => {
    const id = await paidOrder();
    await request(api.app).post('/api/v1/auth/addresses/').set(bearer(customer.access)).send({ first_name: 'Ada', last_name: 'Lovelace', address_line_1: '12 Analytical Row', city: 'London', postal_code: 'N1 9GU', country: 'United Kingdom', phone_number: '+44 20 7946 0000' });
    const customerPage = await console_.agent.get(`/admin/users/${customer.id}/`);
    expect(customerPage.text).toContain('<li>Ada Lovelace, 12 Analytical Row, N1 9GU London, United Kingdom, +44 20 7946 0000</li>');
    expect(customerPage.text).toContain(`<a href="/admin/orders/${id}/">#${id}</a></td><td>paid</td><td>25.00 USD</td>`);
    const list = await console_.agent.get('/admin/orders/?status=paid&customer=BUYER@example.com');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`<a href="/admin/orders/${id}/">#${id}</a>`);
    expect((await console_.agent.get('/admin/orders/?status=shipped')).text).not.toContain(`#${id}<`);

    expect(buttons((await console_.agent.get(`/admin/orders/${id}/`)).text)).toEqual(['Start processing', 'Cancel order']);
    expect((await move(id, 'processing')).status).toBe(303);
    expect(buttons((await console_.agent.get(`/admin/orders/${id}/`)).text)).toEqual(['Mark shipped', 'Cancel order']);
    const noNote = await move(id, 'shipped');
    expect(noNote.status).toBe(400);
    expect(noNote.text).toContain('Tracking note (carrier and tracking number) is required.');
    expect((await move(id, 'shipped', 'DHL 00340434161094042557')).status).toBe(303);
    expect((await move(id, 'delivered')).status).toBe(303);
    const page = await console_.agent.get(`/admin/orders/${id}/?done=delivered`);
    expect(page.text).toContain('The order is delivered.');
    expect(buttons(page.text)).toEqual([]);
    expect(page.text).toContain('processing → shipped by staff — DHL 00340434161094042557');

    const tracking = await request(api.app).get(`/api/v1/orders/${id}/track/`).set(bearer(customer.access));
    expect(tracking.body.status).toBe('delivered');
    const audit = await api.db('audit_log').where({ resource_type: 'order', resource_id: String(id) }).orderBy('id');
    expect(audit.map((entry: { after: { status: string }; source: string; actor: string }) => [entry.after.status, entry.source, entry.actor])).toEqual([
      ['processing', 'console', staff.email],
      ['shipped', 'console', staff.email],
      ['delivered', 'console', staff.email],
    ]);
    expect(audit[1].after).toMatchObject({ note: 'DHL 00340434161094042557' });
  });

  it('When a paid order is cancelled, then the customer is refunded, the stock comes back, and the refund is in view and in the audit log', async () => {
    const before = await stock();
    const id = await paidOrder();
    expect(await stock()).toBe(before - 2);
    expect((await move(id, 'cancelled')).status).toBe(400);
    expect((await move(id, 'cancelled', 'Out of stock at the warehouse')).status).toBe(303);
    const page = await console_.agent.get(`/admin/orders/${id}/`);
    expect(page.text).toContain('<dt>Payment</dt><dd>refunded');
    expect(page.text).toContain('cancelled by staff — Out of stock at the warehouse');
    expect(await stock()).toBe(before);
    const entry = await api.db('audit_log').where({ resource_type: 'order', resource_id: String(id) }).first();
    expect(entry.after).toMatchObject({ status: 'cancelled', payment_status: 'refunded', refund: expect.objectContaining({ amount: '25.00', reference: expect.stringMatching(/^sim_re_/) }) });
  });

  it('When a move is no longer legal (another tab moved it first) or is not a status, then the order page says so with 409/400 and nothing changes', async () => {
    const id = await paidOrder();
    expect((await move(id, 'delivered')).status).toBe(409);
    expect((await move(id, 'paid')).status).toBe(409);
    const bogus = await move(id, "shipped' OR 1=1");
    expect(bogus.status).toBe(400);
    expect(bogus.text).toContain('Choose one of the offered changes.');
    expect((await api.db('orders').where({ id }).first()).status).toBe('paid');
    expect((await console_.agent.get('/admin/orders/abc/')).status).toBe(404);
    expect((await console_.agent.get('/admin/orders/99999/')).status).toBe(404);
  });

  it('When staff change an order through the staff API route, then it is audited too (source api)', async () => {
    const id = await paidOrder();
    const response = await request(api.app).patch(`/api/v1/orders/admin/${id}/update-status/`).set(bearer(staff.access)).send({ status: 'processing', note: 'picked' });
    expect(response.status).toBe(200);
    expect(await api.db('audit_log').where({ resource_type: 'order', resource_id: String(id) }).first()).toMatchObject({ source: 'api', actor_id: staff.id, action: 'order.status_changed', before: { status: 'paid', payment_status: 'paid' } });
  });
});
