import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, NOT_AUTHENTICATED, PERMISSION_DENIED, type ProductRecord, ISO_MICROS } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { cancel, confirm, NO_ORDER, order, ORDER_KEYS, payment, placeOrder, trackingNumber, type OrderBody, UNPAID_LIMIT_LIFTED } from './order-helpers';

const HOST = 'shop.example.com';
const NOT_FOUND = { detail: 'Not found.', code: 'not_found' };
const INVALID_PAGE = { detail: 'Invalid page.', code: 'not_found' };

interface OrderSeed {
  total?: string;
  status?: string;
  payment_status?: string;
  created_at?: string;
}

/** Orders written straight to the database (no lines), for lists whose order and dates the test controls. */
async function insertOrders(api: TestApi, user: RegisteredUser, seeds: OrderSeed[]): Promise<number[]> {
  const rows = seeds.map((seed) => ({
    user_id: user.id,
    user_email: user.email,
    status: seed.status ?? 'pending',
    payment_status: seed.payment_status ?? 'unpaid',
    total_amount: seed.total ?? '10.00',
    currency: 'USD',
    ...(seed.created_at ? { created_at: seed.created_at, updated_at: seed.created_at } : {}),
  }));
  const inserted = await api.db('orders').insert(rows).returning<{ id: number }[]>('id');
  return inserted.map((row) => row.id);
}

function idsOf(response: request.Response): number[] {
  return (response.body.results as { id: number }[]).map((item) => item.id);
}

describe('reading orders (customer)', () => {
  let api: TestApi;
  let item: ProductRecord;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', ...UNPAID_LIMIT_LIFTED });
    const category = await insertCategory(api, { name: 'Reading room', slug: 'reading-room' });
    item = await insertProduct(api, { title: 'Bookmark', category_id: category.id, price: '2.50', stock_quantity: 10_000 });
  });
  afterAll(() => api.close());

  describe.each(['/api/v1/orders/', '/api/v1/orders/history/'])('the list at %s', (path) => {
    let owner: RegisteredUser;
    let other: RegisteredUser;
    let placed: OrderBody[];

    beforeAll(async () => {
      owner = await registerUser(api);
      other = await registerUser(api);
      placed = [];
      for (const quantity of [1, 4, 2]) placed.push(await placeOrder(api, owner, { items: [{ product_id: item.id, quantity }] }));
      await placeOrder(api, other, { items: [{ product_id: item.id, quantity: 3 }] });
    });

    it('When the owner lists, then only their own orders come back, newest first, in the page envelope', async () => {
      const response = await request(api.app).get(path).set('Host', HOST).set(bearer(owner.access));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['count', 'next', 'previous', 'results']);
      expect(response.body.count).toBe(3);
      expect(response.body.next).toBeNull();
      expect(response.body.previous).toBeNull();
      expect(idsOf(response)).toEqual([placed[2]?.id, placed[1]?.id, placed[0]?.id]);
      const [newest] = response.body.results as OrderBody[];
      expect(Object.keys(newest as OrderBody)).toEqual(ORDER_KEYS);
      // The same object the create returned, but for the nested product, whose stock has moved on since.
      expect({ ...newest, items: [] }).toEqual({ ...placed[2], items: [] });
      expect(newest?.items).toEqual(placed[2]?.items.map((line) => ({ ...line, product: expect.objectContaining({ id: item.id, title: 'Bookmark' }) })));
      for (const result of response.body.results as OrderBody[]) expect(result.user).toBe(owner.id);
    });

    it('When ?ordering=total_amount or -total_amount, then the orders are sorted by total', async () => {
      const ascending = await request(api.app).get(`${path}?ordering=total_amount`).set(bearer(owner.access));
      expect(ascending.status).toBe(200);
      expect((ascending.body.results as OrderBody[]).map((result) => result.total_amount)).toEqual(['2.50', '5.00', '10.00']);
      const descending = await request(api.app).get(`${path}?ordering=-total_amount`).set(bearer(owner.access));
      expect((descending.body.results as OrderBody[]).map((result) => result.total_amount)).toEqual(['10.00', '5.00', '2.50']);
    });

    it('When ?ordering=created_at or id, then oldest first; an unknown field falls back to newest first', async () => {
      const oldest = await request(api.app).get(`${path}?ordering=created_at`).set(bearer(owner.access));
      expect(idsOf(oldest)).toEqual([placed[0]?.id, placed[1]?.id, placed[2]?.id]);
      const byId = await request(api.app).get(`${path}?ordering=id`).set(bearer(owner.access));
      expect(idsOf(byId)).toEqual([placed[0]?.id, placed[1]?.id, placed[2]?.id]);
      for (const bogus of ['password', 'user__password', '-shipping_address', 'total_amount;DROP TABLE orders']) {
        const response = await request(api.app).get(path).query({ ordering: bogus }).set(bearer(owner.access));
        expect(response.status).toBe(200);
        expect(idsOf(response)).toEqual([placed[2]?.id, placed[1]?.id, placed[0]?.id]);
      }
    });

    it('When a user without orders lists, then an empty page', async () => {
      const nobody = await registerUser(api);
      const response = await request(api.app).get(path).set(bearer(nobody.access));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    });

    it('When anonymous, then 401', async () => {
      const response = await request(api.app).get(path);
      expect(response.status).toBe(401);
      expect(response.body).toEqual(NOT_AUTHENTICATED);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
    });
  });

  describe('pagination', () => {
    let lister: RegisteredUser;
    let ids: number[];

    beforeAll(async () => {
      lister = await registerUser(api);
      // 23 orders one minute apart: ids[0] is the oldest.
      ids = await insertOrders(
        api,
        lister,
        Array.from({ length: 23 }, (_, index) => ({ total: `${index + 1}.00`, created_at: new Date(Date.UTC(2026, 2, 1, 9, index)).toISOString() })),
      );
    });

    it('When the first page is read, then 20 newest orders and an absolute next link', async () => {
      const response = await request(api.app).get('/api/v1/orders/').set('Host', HOST).set(bearer(lister.access));
      expect(response.status).toBe(200);
      expect(response.body.count).toBe(23);
      expect(response.body.next).toBe(`http://${HOST}/api/v1/orders/?page=2`);
      expect(response.body.previous).toBeNull();
      expect(idsOf(response)).toEqual([...ids].reverse().slice(0, 20));
      expect(response.body.results[0].items).toEqual([]);
    });

    it('When page 2 is read with an ordering, then the last 3 and a previous link without page that keeps the ordering', async () => {
      const response = await request(api.app).get('/api/v1/orders/history/?ordering=-total_amount&page=2').set('Host', HOST).set(bearer(lister.access));
      expect(response.status).toBe(200);
      expect((response.body.results as OrderBody[]).map((result) => result.total_amount)).toEqual(['3.00', '2.00', '1.00']);
      expect(response.body.next).toBeNull();
      expect(response.body.previous).toBe(`http://${HOST}/api/v1/orders/history/?ordering=-total_amount`);
    });

    it('When page=last, then the last page', async () => {
      const response = await request(api.app).get('/api/v1/orders/?page=last').set(bearer(lister.access));
      expect(response.status).toBe(200);
      expect(idsOf(response)).toEqual([ids[2], ids[1], ids[0]]);
    });

    it.each(['3', '0', 'abc', '-1'])('When page=%s, then 404 Invalid page.', async (page) => {
      const response = await request(api.app).get(`/api/v1/orders/?page=${page}`).set(bearer(lister.access));
      expect(response.status).toBe(404);
      expect(response.body).toEqual(INVALID_PAGE);
    });
  });

  describe('one order', () => {
    let owner: RegisteredUser;
    let stranger: RegisteredUser;
    let placed: OrderBody;

    beforeAll(async () => {
      owner = await registerUser(api);
      stranger = await registerUser(api);
      placed = await placeOrder(api, owner, { items: [{ product_id: item.id, quantity: 2 }] });
    });

    it('When the owner reads the detail, then 200 with the same object the create returned', async () => {
      const response = await request(api.app).get(order(placed.id)).set(bearer(owner.access));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(ORDER_KEYS);
      expect(response.body).toEqual(placed);
    });

    it('When the owner reads the status, then order_id, status and payment_status', async () => {
      const response = await request(api.app).get(`/api/v1/orders/${placed.id}/status/`).set(bearer(owner.access));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ order_id: placed.id, status: 'pending', payment_status: 'unpaid' });
    });

    it('When the owner tracks a new order, then one "Order placed" event dated at creation with a Z date', async () => {
      const response = await request(api.app).get(`/api/v1/orders/${placed.id}/track/`).set(bearer(owner.access));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        order_id: placed.id,
        status: 'pending',
        tracking_number: trackingNumber(placed.id),
        estimated_delivery: null,
        tracking_events: [{ date: expect.stringMatching(ISO_MICROS), status: 'Order placed', description: 'Your order has been placed successfully.', code: 'pending' }],
      });
      // The event is written in the order's transaction: same timestamp as the order.
      expect(response.body.tracking_events[0].date).toBe(placed.created_at);
    });

    it.each([
      ['detail', (id: number) => order(id)],
      ['status', (id: number) => `/api/v1/orders/${id}/status/`],
      ['track', (id: number) => `/api/v1/orders/${id}/track/`],
    ])("When another user reads the %s, then 404 as if it did not exist", async (_label, path) => {
      const response = await request(api.app).get(path(placed.id)).set(bearer(stranger.access));
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NO_ORDER);
      const missing = await request(api.app).get(path(9_999_999)).set(bearer(owner.access));
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(NO_ORDER);
    });

    it("When another user cancels, pays or confirms the order, then 404 and the order is unchanged", async () => {
      const cancelled = await request(api.app).post(cancel(placed.id)).set(bearer(stranger.access));
      expect(cancelled.status).toBe(404);
      expect(cancelled.body).toEqual(NO_ORDER);
      const paid = await request(api.app).post(payment(placed.id)).set(bearer(stranger.access)).send({ payment_method: 'paypal' });
      expect(paid.status).toBe(404);
      expect(paid.body).toEqual(NO_ORDER);
      const confirmed = await request(api.app).post(confirm(placed.id)).set(bearer(stranger.access));
      expect(confirmed.status).toBe(404);
      expect(confirmed.body).toEqual(NO_ORDER);
      const row = await api.db('orders').where({ id: placed.id }).first<{ status: string; payment_status: string }>('status', 'payment_status');
      expect(row).toEqual({ status: 'pending', payment_status: 'unpaid' });
      expect(await api.db('payments').where({ order_id: placed.id }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 0 }]);
    });

    it.each(['abc', '0', '-1', '1.5', '99999999999999999999'])('When the id is %s, then 404 Not found.', async (id) => {
      for (const suffix of ['', 'status/', 'track/']) {
        const response = await request(api.app).get(`/api/v1/orders/${id}/${suffix}`).set(bearer(owner.access));
        expect(response.status).toBe(404);
        expect(response.body).toEqual(NOT_FOUND);
      }
    });

    it('When anonymous, then 401 on detail, status, track, cancel, payment and confirm', async () => {
      const calls = [
        request(api.app).get(order(placed.id)),
        request(api.app).get(`/api/v1/orders/${placed.id}/status/`),
        request(api.app).get(`/api/v1/orders/${placed.id}/track/`),
        request(api.app).post(cancel(placed.id)),
        request(api.app).post(payment(placed.id)).send({ payment_method: 'card' }),
        request(api.app).post(confirm(placed.id)),
      ];
      for (const response of await Promise.all(calls)) {
        expect(response.status).toBe(401);
        expect(response.body).toEqual(NOT_AUTHENTICATED);
      }
    });

    it('When PUT, PATCH or DELETE is sent to an order, then 405 with Allow', async () => {
      for (const method of ['put', 'patch', 'delete'] as const) {
        const response = await request(api.app)[method](order(placed.id)).set(bearer(owner.access)).send({ status: 'delivered' });
        expect(response.status).toBe(405);
        expect(response.body).toEqual({ detail: `Method "${method.toUpperCase()}" not allowed.`, code: 'method_not_allowed' });
        expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
      }
      const row = await api.db('orders').where({ id: placed.id }).first<{ status: string }>('status');
      expect(row.status).toBe('pending');
    });

    it('When the order\'s owner account is deleted, then the order stays with its email and no user', async () => {
      const leaver = await registerUser(api);
      const kept = await placeOrder(api, leaver, { items: [{ product_id: item.id, quantity: 1 }] });
      await api.db('users').where({ id: leaver.id }).delete();
      const row = await api.db('orders').where({ id: kept.id }).first<{ user_id: number | null; user_email: string; total_amount: string }>('user_id', 'user_email', 'total_amount');
      expect(row).toEqual({ user_id: null, user_email: leaver.email, total_amount: '2.50' });
    });
  });
});

describe('reading orders (staff list)', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', ...UNPAID_LIMIT_LIFTED });
    staff = await registerStaff(api);
    alice = await registerUser(api);
    bob = await registerUser(api);
    const [a1, a2, a3] = await insertOrders(api, alice, [
      { total: '10.00', status: 'pending', created_at: '2026-03-01T10:00:00.000Z' },
      { total: '20.00', status: 'paid', payment_status: 'paid', created_at: '2026-03-05T23:59:59.000Z' },
      { total: '30.00', status: 'cancelled', created_at: '2026-03-10T08:00:00.000Z' },
    ]);
    const [b1, b2] = await insertOrders(api, bob, [
      { total: '40.00', status: 'pending', created_at: '2026-03-06T00:00:00.000Z' },
      { total: '50.00', status: 'shipped', payment_status: 'paid', created_at: '2026-03-20T12:00:00.000Z' },
    ]);
    Object.assign(ids, { a1, a2, a3, b1, b2 });
  });
  afterAll(() => api.close());

  const list = (query = '') => request(api.app).get(`/api/v1/orders/admin/all/${query}`).set(bearer(staff.access));

  it("When staff list, then every user's orders, newest first, in the page envelope", async () => {
    const response = await list();
    expect(response.status).toBe(200);
    expect(response.body.count).toBe(5);
    expect(response.body.next).toBeNull();
    expect(idsOf(response)).toEqual([ids.b2, ids.a3, ids.b1, ids.a2, ids.a1]);
    expect(Object.keys(response.body.results[0])).toEqual(ORDER_KEYS);
    expect(response.body.results[0]).toMatchObject({ user: bob.id, user_email: bob.email, status: 'shipped', total_amount: '50.00' });
  });

  it.each([
    ['?status=pending', () => [ids.b1, ids.a1]],
    ['?status=shipped', () => [ids.b2]],
    ['?status=delivered', () => []],
  ])('When filtered by %s, then only those orders', async (query, expected) => {
    const response = await list(query);
    expect(response.status).toBe(200);
    expect(idsOf(response)).toEqual(expected());
    expect(response.body.count).toBe(expected().length);
  });

  it('When filtered by ?user=, then only that user\'s orders (and a user without orders gives none)', async () => {
    const forAlice = await list(`?user=${alice.id}`);
    expect(idsOf(forAlice)).toEqual([ids.a3, ids.a2, ids.a1]);
    const forBob = await list(`?user=${bob.id}&status=pending`);
    expect(idsOf(forBob)).toEqual([ids.b1]);
    const forStaff = await list(`?user=${staff.id}`);
    expect(forStaff.body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('When filtered by created_after / created_before dates, then the bounds are start-inclusive and end-exclusive', async () => {
    const after = await list('?created_after=2026-03-06');
    expect(idsOf(after)).toEqual([ids.b2, ids.a3, ids.b1]);
    const before = await list('?created_before=2026-03-06');
    expect(idsOf(before)).toEqual([ids.a2, ids.a1]);
    const between = await list('?created_after=2026-03-02&created_before=2026-03-15');
    expect(idsOf(between)).toEqual([ids.a3, ids.b1, ids.a2]);
    const withStatus = await list('?created_after=2026-03-02&created_before=2026-03-15&status=pending');
    expect(idsOf(withStatus)).toEqual([ids.b1]);
  });

  it('When filtered by date-times with offsets, then the instants are compared', async () => {
    const response = await list(`?created_after=${encodeURIComponent('2026-03-05T23:59:59Z')}&created_before=${encodeURIComponent('2026-03-06T01:00:00+01:00')}`);
    expect(response.status).toBe(200);
    // 2026-03-06T01:00+01:00 is midnight UTC: b1 (exactly midnight) is excluded, a2 (23:59:59) included.
    expect(idsOf(response)).toEqual([ids.a2]);
  });

  it('When orders are ordered by -total_amount, then the staff list follows', async () => {
    const response = await list('?ordering=-total_amount');
    expect((response.body.results as OrderBody[]).map((result) => result.total_amount)).toEqual(['50.00', '40.00', '30.00', '20.00', '10.00']);
  });

  it.each([
    ['?status=bogus', { status: ['"bogus" is not a valid choice.'] }],
    ['?status=completed', { status: ['"completed" is not a valid choice.'] }],
    ['?user=abc', { user: ['A valid integer is required.'] }],
    ['?user=0', { user: ['Ensure this value is greater than or equal to 1.'] }],
    ['?created_after=yesterday', { created_after: ['Enter a valid date/time.'] }],
    ['?created_before=2026-13-45', { created_before: ['Enter a valid date/time.'] }],
  ])('When a filter is %s, then 400 with a field map', async (query, expected) => {
    const response = await list(query);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ ...expected, code: 'invalid' });
  });

  it('When a customer lists all orders, then 403; anonymous 401', async () => {
    const customer = await request(api.app).get('/api/v1/orders/admin/all/').set(bearer(alice.access));
    expect(customer.status).toBe(403);
    expect(customer.body).toEqual(PERMISSION_DENIED);
    const anonymous = await request(api.app).get('/api/v1/orders/admin/all/');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual(NOT_AUTHENTICATED);
  });

  it('When a customer reads the staff view of their own order, then 403', async () => {
    const response = await request(api.app).get(`/api/v1/orders/admin/${ids.a1}/`).set(bearer(alice.access));
    expect(response.status).toBe(403);
    expect(response.body).toEqual(PERMISSION_DENIED);
  });

  it('When staff read an order that does not exist, then 404', async () => {
    const response = await request(api.app).get('/api/v1/orders/admin/9999999/').set(bearer(staff.access));
    expect(response.status).toBe(404);
    expect(response.body).toEqual(NO_ORDER);
  });
});

describe('the OpenAPI document', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(UNPAID_LIMIT_LIFTED);
  });
  afterAll(() => api.close());

  it('When /api/v1/schema/ is fetched, then every order route is listed with its method', async () => {
    const response = await request(api.app).get('/api/v1/schema/');
    expect(response.status).toBe(200);
    const document = JSON.parse(response.text) as { paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>> };
    const expected: [string, string][] = [
      ['get', '/api/v1/orders/'],
      ['post', '/api/v1/orders/'],
      ['get', '/api/v1/orders/history/'],
      ['post', '/api/v1/orders/create/'],
      ['get', '/api/v1/orders/{id}/'],
      ['get', '/api/v1/orders/{id}/status/'],
      ['get', '/api/v1/orders/{id}/track/'],
      ['post', '/api/v1/orders/{id}/cancel/'],
      ['post', '/api/v1/orders/{id}/payment/'],
      ['post', '/api/v1/orders/{id}/payment/confirm/'],
      ['get', '/api/v1/orders/admin/all/'],
      ['get', '/api/v1/orders/admin/{id}/'],
      ['patch', '/api/v1/orders/admin/{id}/update-status/'],
    ];
    const listed = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/v1/orders/'))
      .flatMap(([path, item]) => Object.keys(item).map((method) => [method, path]));
    expect(listed.sort()).toEqual([...expected].sort());
    for (const [method, path] of expected) {
      const operation = document.paths[path]?.[method];
      expect(operation?.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation?.responses ?? {})).toContain('401');
    }
    expect(Object.keys(document.paths['/api/v1/orders/create/']?.post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '409', '422']));
    expect(Object.keys(document.paths['/api/v1/orders/{id}/payment/']?.post?.responses ?? {})).toEqual(expect.arrayContaining(['200', '402', '409', '422', '502']));
    expect(Object.keys(document.paths['/api/v1/orders/admin/all/']?.get?.responses ?? {})).toContain('403');
  });
});
