import fc from 'fast-check';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { hostileId, hostileValue, INJECTIONS } from '../security/fuzz-inputs';
import { consoleSignIn, csrfIn, type ConsoleBrowser } from './console-session';

/** A path segment; a lone surrogate (not encodable) goes as the bytes of one, which no valid UTF-8 holds. */
const segment = (value: string) => {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
};

type Role = 'anonymous' | 'customer token' | 'customer cookie' | 'staff';

/**
 * Every console route, and who gets in: only a staff session. A customer's API token means nothing here, and a
 * customer cannot get a console cookie (sign-in refuses them), so a forged cookie stands for "customer cookie".
 */
describe('the staff console: the authorisation matrix and the fuzzer over its routes and forms', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let customer: RegisteredUser;
  let staffSession: ConsoleBrowser;
  let orderId: number;
  let productId: number;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    staff = await registerStaff(api);
    customer = await registerUser(api);
    const category = await insertCategory(api, { name: 'Matrix' });
    const product = await insertProduct(api, { title: 'Matrix item', category_id: category.id, price: '3.00', stock_quantity: 50 });
    productId = product.id;
    orderId = (await request(api.app).post('/api/v1/orders/').set(bearer(customer.access)).send({ items: [{ product_id: product.id, quantity: 1 }] })).body.id as number;
    staffSession = await consoleSignIn(api, staff);
  });
  afterAll(() => api.close());

  const routes = () => [
    { method: 'get', path: '/admin/', staff: 200 },
    { method: 'get', path: '/admin/users/', staff: 200 },
    { method: 'get', path: `/admin/users/${customer.id}/`, staff: 200 },
    { method: 'get', path: '/admin/orders/', staff: 200 },
    { method: 'get', path: `/admin/orders/${orderId}/`, staff: 200 },
    { method: 'get', path: '/admin/audit/', staff: 200 },
    { method: 'get', path: '/admin/reviews/', staff: 200 },
    { method: 'get', path: '/admin/categories/', staff: 200 },
    { method: 'post', path: '/admin/categories/', staff: 400, body: { name: '' } },
    { method: 'get', path: '/admin/products/', staff: 200 },
    { method: 'get', path: '/admin/products/new/', staff: 200 },
    { method: 'get', path: `/admin/products/${productId}/`, staff: 200 },
    { method: 'post', path: '/admin/products/new/', staff: 400, body: { title: '', price: 'x' } },
    { method: 'post', path: '/admin/products/bulk/', staff: 400, body: { action: 'none' } },
    { method: 'get', path: '/admin/reviews/?status=all', staff: 200 },
    // Harmless form posts for a staff member: each leaves the account or order as it was.
    { method: 'post', path: `/admin/users/${customer.id}/activate/`, staff: 303 },
    { method: 'post', path: `/admin/users/${customer.id}/demote/`, staff: 303 },
    { method: 'post', path: `/admin/orders/${orderId}/status/`, staff: 409, body: { status: 'delivered' } },
    // No such report or review: a staff member gets the 404, everyone else never reaches it.
    { method: 'post', path: '/admin/reviews/reports/999999/dismiss/', staff: 404 },
    { method: 'post', path: '/admin/reviews/999999/restore/', staff: 404 },
    { method: 'get', path: '/admin/webhooks/', staff: 200 },
    { method: 'post', path: '/admin/webhooks/', staff: 400, body: { url: 'ftp://example.com/', events: 'order.paid' } },
    { method: 'get', path: '/admin/webhooks/999999/', staff: 404 },
    { method: 'post', path: '/admin/webhooks/999999/test/', staff: 404 },
    { method: 'post', path: '/admin/webhooks/999999/deliveries/1/replay/', staff: 404 },
  ];

  const ask = (role: Role, route: ReturnType<typeof routes>[number]) => {
    const agent = role === 'staff' ? staffSession.agent : request.agent(api.app);
    let call = route.method === 'get' ? agent.get(route.path) : agent.post(route.path).type('form').send({ csrf: role === 'staff' ? staffSession.csrf : 'x', ...route.body });
    if (role === 'customer token') call = call.set(bearer(customer.access));
    if (role === 'customer cookie') call = call.set('Cookie', 'nexus_console=forged-or-expired-session-token');
    return call;
  };

  it('When each route is asked by each role, then only the staff session gets in; others are sent to sign-in (GET) or refused (POST), and nothing changes', async () => {
    const table: Record<string, Record<Role, number>> = {};
    for (const route of routes()) {
      const row = {} as Record<Role, number>;
      for (const role of ['anonymous', 'customer token', 'customer cookie', 'staff'] as const) row[role] = (await ask(role, route)).status;
      table[`${route.method.toUpperCase()} ${route.path}`] = row;
    }
    const expected = Object.fromEntries(routes().map((route) => {
      const outsider = route.method === 'get' ? 303 : 401;
      return [`${route.method.toUpperCase()} ${route.path}`, { anonymous: outsider, 'customer token': outsider, 'customer cookie': outsider, staff: route.staff }];
    }));
    expect(table).toEqual(expected);
    expect(await api.db('orders').where({ id: orderId }).first()).toMatchObject({ status: 'pending' });
    expect(await api.db('users').where({ id: customer.id }).first()).toMatchObject({ is_active: true, is_staff: false });
  });

  it('When the console\'s forms and filters get hostile values, then every answer is a page or a clear 4xx, never a 5xx, and no account or order changes', async () => {
    const forms = [
      (value: string) => staffSession.agent.get(`/admin/users/?${new URLSearchParams({ q: value, role: value, status: value, page: value }).toString()}`),
      (value: string) => staffSession.agent.get(`/admin/orders/?${new URLSearchParams({ status: value, customer: value, from: value, to: value, page: value }).toString()}`),
      (value: string) => staffSession.agent.get(`/admin/audit/?${new URLSearchParams({ action: value, resource_type: value, resource_id: value, actor_id: value, before: value }).toString()}`),
      (value: string) => staffSession.agent.post(`/admin/orders/${orderId}/status/`).type('form').send({ csrf: staffSession.csrf, status: value, note: value }),
      (value: string) => staffSession.agent.get(`/admin/reviews/?${new URLSearchParams({ status: value, page: value, done: value }).toString()}`),
      (value: string) => staffSession.agent.post(`/admin/reviews/reports/${segment(value)}/resolve/`).type('form').send({ csrf: staffSession.csrf, note: value, hide_review: value }),
      (value: string) => staffSession.agent.get(`/admin/products/?${new URLSearchParams({ q: value, category: value, status: value, stock: value, sort: value, page: value }).toString()}`),
      (value: string) => staffSession.agent.post('/admin/products/new/').type('form').send({ csrf: staffSession.csrf, title: value, price: value, category: value, stock_quantity: value, slug: value, description: value }),
      (value: string) => staffSession.agent.post('/admin/products/bulk/').type('form').send({ csrf: staffSession.csrf, ids: value, action: 'move', category: value }),
      (value: string) => staffSession.agent.post('/admin/categories/').type('form').send({ csrf: staffSession.csrf, name: value, parent: value }),
      (value: string) => staffSession.agent.post(`/admin/categories/${segment(value)}/delete/`).type('form').send({ csrf: staffSession.csrf, move_to: value }),
      (value: string) => staffSession.agent.get(`/admin/users/${segment(value)}/`),
      (value: string) => staffSession.agent.get(`/admin/orders/${segment(value)}/`),
      (value: string) => staffSession.agent.post(`/admin/users/${customer.id}/${segment(value)}/`).type('form').send({ csrf: staffSession.csrf }),
      async (value: string) => {
        const agent = request.agent(api.app);
        const form = await agent.get('/admin/login/');
        return agent.post('/admin/login/').type('form').send({ csrf: csrfIn(form.text), email: value, password: value, next: value });
      },
    ];
    const failures: { form: number; value: string; status: number }[] = [];
    for (const value of INJECTIONS) {
      for (const [index, form] of forms.entries()) {
        const { status } = await form(value);
        if (status >= 500) failures.push({ form: index, value, status });
      }
    }
    expect(failures).toEqual([]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileId, hostileValue.map((value) => (typeof value === 'string' ? value : JSON.stringify(value) ?? ''))), fc.nat(forms.length - 1), async (value, index) => {
        return (await (forms[index] as (value: string) => Promise<request.Response>)(value)).status < 500;
      }),
      { numRuns: 150 },
    );
    expect(await api.db('orders').where({ id: orderId }).first()).toMatchObject({ status: 'pending' });
    expect(await api.db('users').where({ id: customer.id }).first()).toMatchObject({ is_active: true, is_staff: false });
  }, 120_000);
});
