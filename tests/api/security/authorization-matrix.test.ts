import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { bearer, makeStaff, registerUser, type RegisteredUser } from '../../support/users';
import { placeOrder, UNPAID_LIMIT_LIFTED } from '../orders/order-helpers';
import { AUTHORIZATION_TABLE, ROLES, type Role } from './authorization-table';

type Operation = { method: string; path: string };

/** The objects one operation is tried against, made afresh for each (a staff DELETE must not starve the next row). */
interface Fixture {
  ids: Record<string, number | string>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function operationsOf(document: { paths: Record<string, Record<string, unknown>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) => METHODS.filter((method) => item[method]).map((method) => ({ method, path })));
}

const key = (operation: Operation) => `${operation.method.toUpperCase()} ${operation.path}`;

const ADDRESS = { first_name: 'Ada', last_name: 'Lovelace', address_line_1: '12 Analytical Row', city: 'London', postal_code: 'N1 9GU', country: 'United Kingdom', phone_number: '+44 20 7946 0000' };

/**
 * A valid body for the writes whose answer would otherwise be a validation error for everyone: with it, who
 * is let in (2xx) and who is not (401/403/404) shows. Every other write gets `{}`.
 */
function bodyFor(operation: Operation, fixture: Fixture): object {
  const { method, path } = operation;
  const product = fixture.ids.product as number;
  if (/\/addresses\/(\{id\}\/)?$/.test(path)) return ADDRESS;
  if (/\/cart\/(add\/)?$/.test(path) && method === 'post') return { product_id: product, quantity: 1 };
  if (/\/cart\/(update\/)?\{item_id\}\/$/.test(path)) return { quantity: 2 };
  if (path.endsWith('/payment/')) return { payment_method: 'card', payment_details: { card_number: '4242424242424242' } };
  if (path.endsWith('/update-status/')) return { status: 'cancelled', note: 'matrix' };
  if (/\/reviews\/(create\/)?$/.test(path)) return { product, rating: 5, comment: 'Great.' };
  if (/\/reviews\/\{id\}\/(update\/)?$/.test(path)) return { product, rating: 2, comment: 'Changed my mind.' };
  if (path.endsWith('/report/')) return { reason: 'spam' };
  if (/\/products(\/\{ref\}\/?)?\/?$/.test(path) && method !== 'patch') return { title: `Written ${path.length}${method}`, price: '9.00', category: fixture.ids.categoryId, stock_quantity: 3 };
  if (/\/categories(\/\{ref\}\/?)?\/?$/.test(path) && method !== 'patch') return { name: `Written ${Math.random().toString(36).slice(2)}` };
  if (method === 'patch' && (path.includes('/products') || path.includes('/categories'))) return { description: 'Patched.' };
  return {};
}

/** Which fixture object a path parameter names, by the route it sits in. */
function parameterValue(path: string, name: string, fixture: Fixture): number | string {
  const { ids } = fixture;
  if (name === 'deliveryId') return ids.delivery as number;
  if (path.includes('/admin/webhooks/')) return ids.webhook as number;
  if (name === 'item_id') return ids.cartItem as number;
  if (name === 'user_id') return ids.customer as number;
  if (name === 'product_id') return ids.product as number;
  if (name === 'ref') return path.includes('categor') ? (ids.categoryId as number) : (ids.product as number);
  if (path.includes('/addresses/')) return ids.address as number;
  if (path.includes('/cart/admin/carts/')) return ids.cart as number;
  if (path.includes('/cart/admin/cart-items/')) return ids.cartItem as number;
  if (path.includes('/orders/')) return ids.order as number;
  if (path.includes('/moderation/reports/')) return ids.report as number;
  if (path.includes('/reviews/')) return ids.review as number;
  throw new Error(`no fixture for {${name}} in ${path}`);
}

function concretePath(path: string, fixture: Fixture): string {
  return path.replace(/\{(\w+)\}/g, (_match, name: string) => String(parameterValue(path, name, fixture)));
}

/**
 * Every operation of the OpenAPI document, called by every role: anonymous, the customer who owns the
 * fixture objects, another customer, and staff. Bodies are empty JSON objects, so a caller who is let in gets
 * a validation error (400) rather than changing anything, and the table records exactly who is let in where.
 */
describe('Authorization matrix: every operation × every role', () => {
  let api: TestApi;
  let operations: Operation[];
  const users = {} as Record<Exclude<Role, 'anonymous'>, RegisteredUser>;

  beforeAll(async () => {
    api = await startTestApi(UNPAID_LIMIT_LIFTED);
    const document = JSON.parse((await request(api.app).get('/api/v1/schema/')).text) as { paths: Record<string, Record<string, unknown>> };
    operations = operationsOf(document);
    users.customer = await registerUser(api);
    users.other = await registerUser(api);
    users.staff = await registerUser(api);
    await makeStaff(api, users.staff.id);
  }, 60_000);
  afterAll(() => api.close());

  let made = 0;
  /** Created through the staff API, so that the catalogue's caches know them. */
  async function created(path: string, body: object): Promise<{ id: number; slug: string }> {
    const response = await request(api.app).post(path).set(bearer(users.staff.access)).send(body);
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as { id: number; slug: string };
  }

  async function fixture(): Promise<Fixture> {
    made += 1;
    const category = await created('/api/v1/categories/', { name: `Matrix ${made}` });
    const product = await created('/api/v1/products/', { title: `Matrix product ${made}`, price: '12.50', category: category.id, stock_quantity: 50 });
    const customer = users.customer;
    const address = await request(api.app).post('/api/v1/auth/addresses/').set(bearer(customer.access)).send(ADDRESS);
    if (address.status !== 201) throw new Error(`address: ${address.status} ${JSON.stringify(address.body)}`);
    await request(api.app).post(`/api/v1/auth/addresses/${address.body.id as number}/set_default/`).set(bearer(customer.access)).expect(200);
    const order = await placeOrder(api, customer, { items: [{ product_id: product.id, quantity: 1 }] });
    const item = await request(api.app).post('/api/v1/cart/add/').set(bearer(customer.access)).send({ product_id: product.id, quantity: 1 });
    if (item.status !== 201 && item.status !== 200) throw new Error(`cart: ${item.status} ${JSON.stringify(item.body)}`);
    const cart = await api.db('carts').where({ user_id: customer.id }).first<{ id: number }>('id');
    const cartItem = await api.db('cart_items').where({ cart_id: cart?.id, product_id: product.id }).first<{ id: number }>('id');
    const [review] = await api.db('reviews').insert({ user_id: customer.id, product_id: product.id, rating: 4, comment: 'Fine.' }).returning<{ id: number }[]>('id');
    const [report] = await api.db('review_reports').insert({ review_id: review?.id, user_id: users.other.id, reason: 'spam' }).returning<{ id: number }[]>('id');
    // A subscription with one delivery of a recorded event (its secret is never opened by these routes).
    const [webhook] = await api.db('webhook_subscriptions').insert({ url: `https://hooks.example.com/matrix/${made}`, events: ['order.placed'], secret_ciphertext: 'v1:matrix' }).returning<{ id: number }[]>('id');
    const [event] = await api.db('events').insert({ type: 'order.placed', resource_type: 'order', resource_id: String(order.id), payload: '{}' }).returning<{ id: string }[]>('id');
    const [delivery] = await api.db('webhook_deliveries').insert({ subscription_id: webhook?.id, event_id: event?.id, status: 'failed', attempts: 1 }).returning<{ id: number }[]>('id');
    return {
      ids: { categoryId: category.id, product: product.id, address: address.body.id as number, order: order.id, cart: cart?.id ?? 0, cartItem: cartItem?.id ?? 0, review: review?.id ?? 0, report: report?.id ?? 0, customer: customer.id, webhook: webhook?.id ?? 0, delivery: delivery?.id ?? 0 },
    };
  }

  async function call(operation: Operation, role: Role, fixture: Fixture): Promise<number> {
    const path = concretePath(operation.path, fixture);
    let pending = request(api.app)[operation.method as (typeof METHODS)[number]](path);
    if (role !== 'anonymous') pending = pending.set(bearer(users[role].access));
    if (['post', 'put', 'patch'].includes(operation.method)) pending = pending.send(bodyFor(operation, fixture));
    const status = (await pending).status;
    if (role !== 'anonymous') await keepSignedIn(role);
    return status;
  }

  /** Logout and password changes end the caller's sessions: sign in again for the next row. */
  async function keepSignedIn(role: Exclude<Role, 'anonymous'>): Promise<void> {
    const user = users[role];
    if ((await request(api.app).get('/api/v1/auth/profile/').set(bearer(user.access))).status === 200) return;
    const login = await request(api.app).post('/api/v1/auth/login/').send({ email: user.email, password: user.password });
    if (login.status !== 200) throw new Error(`login ${role}: ${login.status}`);
    Object.assign(user, { access: login.body.access as string, refresh: login.body.refresh as string });
  }

  it('When the OpenAPI document lists an operation, then the table has its row, and every row is a listed operation', () => {
    const listed = operations.map(key).sort();
    expect(listed.filter((operation) => !(operation in AUTHORIZATION_TABLE))).toEqual([]);
    expect(Object.keys(AUTHORIZATION_TABLE).filter((operation) => !listed.includes(operation))).toEqual([]);
  });

  it('When every role calls every operation, then each gets exactly the status the table expects', async () => {
    const observed: Record<string, Record<Role, number>> = {};
    for (const operation of operations) {
      const row = {} as Record<Role, number>;
      // Reads change nothing: one fixture serves all four roles. Writes get a fresh one per role.
      const shared = operation.method === 'get' ? await fixture() : undefined;
      for (const role of ROLES) row[role] = await call(operation, role, shared ?? (await fixture()));
      observed[key(operation)] = row;
    }
    const expected = Object.fromEntries(operations.map((operation) => [key(operation), AUTHORIZATION_TABLE[key(operation)]]));
    expect(observed).toEqual(expected);
  }, 300_000);
});
