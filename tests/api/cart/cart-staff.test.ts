import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, NOT_AUTHENTICATED, PERMISSION_DENIED, registerStaff, type CategoryRecord, type ProductRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { addLine, CART_KEYS, cartCount, ITEM_KEYS, NO_CART, NO_ITEM, NOT_FOUND, pluck, storedLines, type CartLine } from './support';

const HOST = 'shop.example.com';
const ADMIN = '/api/v1/cart/admin/';
const INVALID_PAGE = { detail: 'Invalid page.', code: 'not_found' };

/** The old `/cart/admin/` router, now staff-only and limited to reading and deleting. */
describe('the staff cart router', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let customer: RegisteredUser;
  let category: CategoryRecord;
  let mug: ProductRecord;
  let plate: ProductRecord;
  let customerLine: CartLine;
  let customerCartId: number;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    staff = await registerStaff(api);
    customer = await registerUser(api);
    category = await insertCategory(api, { name: 'Tableware', slug: 'tableware' });
    mug = await insertProduct(api, { title: 'Mug', category_id: category.id, price: '6.50', stock_quantity: 40 });
    plate = await insertProduct(api, { title: 'Plate', category_id: category.id, price: '4.00', stock_quantity: 40 });
    customerLine = await addLine(api, customer, mug.id, 2);
    await addLine(api, customer, plate.id, 1);
    customerCartId = (await api.db('carts').where({ user_id: customer.id }).first('id')).id;
  });
  afterAll(() => api.close());

  const routes = (cartId: number, itemId: number): [method: 'get' | 'delete', path: string][] => [
    ['get', ADMIN],
    ['get', `${ADMIN}carts/`],
    ['get', `${ADMIN}carts/${cartId}/`],
    ['delete', `${ADMIN}carts/${cartId}/`],
    ['get', `${ADMIN}cart-items/`],
    ['get', `${ADMIN}cart-items/${itemId}/`],
    ['delete', `${ADMIN}cart-items/${itemId}/`],
  ];

  it('When nobody is signed in, then every staff cart route is 401 and nothing is deleted', async () => {
    for (const [method, path] of routes(customerCartId, customerLine.id)) {
      const response = await request(api.app)[method](path);
      expect({ method, path, status: response.status, body: response.body }).toEqual({ method, path, status: 401, body: NOT_AUTHENTICATED });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
    }
    expect(await storedLines(api, customer.id)).toEqual({ [mug.id]: 2, [plate.id]: 1 });
  });

  it('When a customer calls, then every staff cart route is 403, even on their own cart, and nothing is deleted', async () => {
    for (const [method, path] of routes(customerCartId, customerLine.id)) {
      const response = await request(api.app)[method](path).set(bearer(customer.access));
      expect({ method, path, status: response.status, body: response.body }).toEqual({ method, path, status: 403, body: PERMISSION_DENIED });
    }
    expect(await cartCount(api, customer.id)).toBe(1);
    expect(await storedLines(api, customer.id)).toEqual({ [mug.id]: 2, [plate.id]: 1 });
  });

  it('When staff open the router root, then 200 with absolute links to both collections', async () => {
    const response = await request(api.app).get(ADMIN).set('Host', HOST).set(bearer(staff.access));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ carts: `http://${HOST}${ADMIN}carts/`, 'cart-items': `http://${HOST}${ADMIN}cart-items/` });
  });

  it("When staff read one cart, then 200 with the same object its owner sees", async () => {
    const response = await request(api.app).get(`${ADMIN}carts/${customerCartId}/`).set('Host', HOST).set(bearer(staff.access));
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(CART_KEYS);
    const own = await request(api.app).get('/api/v1/cart/').set('Host', HOST).set(bearer(customer.access));
    expect(response.body).toEqual(own.body);
    expect(response.body).toMatchObject({ id: customerCartId, user: customer.id, total_price: 17, total_items: 3 });
  });

  it('When staff read one line, then 200 with the line as its owner sees it', async () => {
    const response = await request(api.app).get(`${ADMIN}cart-items/${customerLine.id}/`).set(bearer(staff.access));
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(ITEM_KEYS);
    expect(response.body).toMatchObject({ id: customerLine.id, quantity: 2, subtotal: 13, available: true, product: expect.objectContaining({ id: mug.id, title: 'Mug' }) });
  });

  it('When staff ask for unknown or malformed ids, then 404 with the model named (or Not found.)', async () => {
    const auth = bearer(staff.access);
    for (const method of ['get', 'delete'] as const) {
      const cart = await request(api.app)[method](`${ADMIN}carts/987654321/`).set(auth);
      expect([cart.status, cart.body]).toEqual([404, NO_CART]);
      const item = await request(api.app)[method](`${ADMIN}cart-items/987654321/`).set(auth);
      expect([item.status, item.body]).toEqual([404, NO_ITEM]);
      for (const raw of ['abc', '0', '-2', "1' OR '1'='1"]) {
        const response = await request(api.app)[method](`${ADMIN}carts/${encodeURIComponent(raw)}/`).set(auth);
        expect({ raw, status: response.status, body: response.body }).toEqual({ raw, status: 404, body: NOT_FOUND });
      }
    }
  });

  it('When staff try to create or rewrite carts or lines, then 405 and no second cart or re-pointed line appears', async () => {
    const auth = bearer(staff.access);
    const attempts: [request.Response, string][] = [
      [await request(api.app).post(`${ADMIN}carts/`).set(auth).send({ user: customer.id }), 'GET, HEAD, OPTIONS'],
      [await request(api.app).post(`${ADMIN}carts/`).set(auth).send({}), 'GET, HEAD, OPTIONS'],
      [await request(api.app).put(`${ADMIN}carts/${customerCartId}/`).set(auth).send({ user: staff.id }), 'GET, HEAD, DELETE, OPTIONS'],
      [await request(api.app).patch(`${ADMIN}carts/${customerCartId}/`).set(auth).send({ user: staff.id }), 'GET, HEAD, DELETE, OPTIONS'],
      [await request(api.app).post(`${ADMIN}cart-items/`).set(auth).send({ product_id: plate.id, quantity: 1 }), 'GET, HEAD, OPTIONS'],
      [await request(api.app).patch(`${ADMIN}cart-items/${customerLine.id}/`).set(auth).send({ product_id: plate.id }), 'GET, HEAD, DELETE, OPTIONS'],
      [await request(api.app).put(`${ADMIN}cart-items/${customerLine.id}/`).set(auth).send({ product_id: plate.id, quantity: 9 }), 'GET, HEAD, DELETE, OPTIONS'],
    ];
    for (const [response, allow] of attempts) {
      expect(response.status).toBe(405);
      expect(response.body.code).toBe('method_not_allowed');
      expect(response.headers.allow).toBe(allow);
    }
    expect(await cartCount(api, customer.id)).toBe(1);
    expect(await cartCount(api, staff.id)).toBe(0);
    expect(await storedLines(api, customer.id)).toEqual({ [mug.id]: 2, [plate.id]: 1 });
    const row = await api.db('carts').where({ id: customerCartId }).first('user_id');
    expect(row.user_id).toBe(customer.id);
  });

  it('When a second cart for a user is written straight to the database, then the schema refuses it', async () => {
    await expect(api.db('carts').insert({ user_id: customer.id })).rejects.toMatchObject({ code: '23505' });
    await expect(api.db('cart_items').insert({ cart_id: customerCartId, product_id: mug.id, quantity: 1 })).rejects.toMatchObject({ code: '23505' });
    await expect(api.db('cart_items').insert({ cart_id: customerCartId, product_id: mug.id + plate.id + 1000, quantity: 1 })).rejects.toMatchObject({ code: '23503' });
    expect(await cartCount(api, customer.id)).toBe(1);
    expect(await storedLines(api, customer.id)).toEqual({ [mug.id]: 2, [plate.id]: 1 });
  });

  it('When a zero or negative quantity is written straight to the database, then the schema refuses it', async () => {
    for (const quantity of [0, -1]) {
      await expect(api.db('cart_items').where({ id: customerLine.id }).update({ quantity })).rejects.toMatchObject({ code: '23514' });
    }
    expect((await api.db('cart_items').where({ id: customerLine.id }).first('quantity')).quantity).toBe(2);
  });

  describe('deleting', () => {
    it('When staff delete a line, then 204, it leaves the owner\'s cart and the other lines stay', async () => {
      const shopper = await registerUser(api);
      const doomed = await addLine(api, shopper, mug.id, 3);
      await addLine(api, shopper, plate.id, 2);
      const response = await request(api.app).delete(`${ADMIN}cart-items/${doomed.id}/`).set(bearer(staff.access));
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expect(await storedLines(api, shopper.id)).toEqual({ [plate.id]: 2 });
      const own = await request(api.app).get('/api/v1/cart/').set(bearer(shopper.access));
      expect(own.body).toMatchObject({ total_items: 2, total_price: 8 });
      const again = await request(api.app).delete(`${ADMIN}cart-items/${doomed.id}/`).set(bearer(staff.access));
      expect([again.status, again.body]).toEqual([404, NO_ITEM]);
      // Audited once (the second delete changed nothing), with what the line held.
      expect(await api.db('audit_log').where({ action: 'cart_item.deleted', resource_id: String(doomed.id) })).toEqual([
        expect.objectContaining({ source: 'api', actor_id: staff.id, before: { cart_id: expect.any(Number), product_id: mug.id, quantity: 3 } }),
      ]);
    });

    it('When staff delete a cart, then 204, it and its lines are gone, and the owner gets a fresh empty cart next time', async () => {
      const shopper = await registerUser(api);
      await addLine(api, shopper, mug.id, 1);
      const line = await addLine(api, shopper, plate.id, 4);
      const cartId = (await api.db('carts').where({ user_id: shopper.id }).first('id')).id as number;

      const response = await request(api.app).delete(`${ADMIN}carts/${cartId}/`).set(bearer(staff.access));
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expect(await api.db('carts').where({ id: cartId })).toHaveLength(0);
      expect(await api.db('cart_items').where({ cart_id: cartId })).toHaveLength(0);

      const stale = await request(api.app).patch(`/api/v1/cart/increase/${line.id}/`).set(bearer(shopper.access));
      expect([stale.status, stale.body]).toEqual([404, NO_ITEM]);
      expect((await request(api.app).get('/api/v1/cart/count/').set(bearer(shopper.access))).body).toEqual({ count: 0 });
      const fresh = await request(api.app).get('/api/v1/cart/').set(bearer(shopper.access));
      expect(fresh.status).toBe(200);
      expect(fresh.body).toMatchObject({ user: shopper.id, items: [], total_items: 0 });
      expect(fresh.body.id).not.toBe(cartId);
      expect(await cartCount(api, shopper.id)).toBe(1);

      const again = await request(api.app).delete(`${ADMIN}carts/${cartId}/`).set(bearer(staff.access));
      expect([again.status, again.body]).toEqual([404, NO_CART]);
      expect(await api.db('audit_log').where({ action: 'cart.deleted', resource_id: String(cartId) })).toEqual([expect.objectContaining({ source: 'api', before: { user_id: shopper.id } })]);
    });
  });

  describe('listing', () => {
    let listing: TestApi;
    let lister: RegisteredUser;
    let cartOwners: RegisteredUser[];
    let item: ProductRecord;

    beforeAll(async () => {
      listing = await startTestApi({ CATALOG_CACHE_TTL: '0' });
      lister = await registerStaff(listing);
      const listed = await insertCategory(listing, { name: 'Listed', slug: 'listed' });
      item = await insertProduct(listing, { title: 'Listed item', category_id: listed.id, price: '2.00', stock_quantity: 100 });
      cartOwners = [];
      for (let index = 0; index < 22; index += 1) cartOwners.push(await registerUser(listing));
      // Carts in registration order: the first owner's cart has the lowest id. Every owner gets one line of
      // (index + 1), so there are 22 carts and 22 lines.
      for (const [index, owner] of cartOwners.entries()) await addLine(listing, owner, item.id, index + 1);
    });
    afterAll(() => listing.close());

    it('When staff list carts, then DRF pages of 20 by id, each cart with its lines and totals', async () => {
      const response = await request(listing.app).get(`${ADMIN}carts/`).set('Host', HOST).set(bearer(lister.access));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['count', 'next', 'previous', 'results']);
      expect(response.body.count).toBe(22);
      expect(response.body.next).toBe(`http://${HOST}${ADMIN}carts/?page=2`);
      expect(response.body.previous).toBeNull();
      expect(response.body.results).toHaveLength(20);
      const users = pluck(response.body.results, 'user');
      expect(users).toEqual(cartOwners.slice(0, 20).map((owner) => owner.id));
      const ids = pluck(response.body.results, 'id') as number[];
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      for (const [index, cart] of (response.body.results as Record<string, unknown>[]).entries()) {
        expect(Object.keys(cart)).toEqual(CART_KEYS);
        expect(cart).toMatchObject({ total_items: index + 1, total_price: 2 * (index + 1) });
        expect(cart.items).toEqual([expect.objectContaining({ quantity: index + 1, product: expect.objectContaining({ id: item.id }) })]);
      }

      const second = await request(listing.app).get(`${ADMIN}carts/?page=2`).set('Host', HOST).set(bearer(lister.access));
      expect(second.status).toBe(200);
      expect(second.body.next).toBeNull();
      expect(second.body.previous).toBe(`http://${HOST}${ADMIN}carts/`);
      expect(pluck(second.body.results, 'user')).toEqual(cartOwners.slice(20).map((owner) => owner.id));
    });

    it('When staff list cart lines, then DRF pages of 20, each line in the cart-item shape', async () => {
      const response = await request(listing.app).get(`${ADMIN}cart-items/`).set(bearer(lister.access));
      expect(response.status).toBe(200);
      expect(response.body.count).toBe(22);
      expect(response.body.results).toHaveLength(20);
      for (const [index, line] of (response.body.results as Record<string, unknown>[]).entries()) {
        expect(Object.keys(line)).toEqual(ITEM_KEYS);
        expect(line).toMatchObject({ quantity: index + 1, subtotal: 2 * (index + 1), available: true });
      }
      const last = await request(listing.app).get(`${ADMIN}cart-items/?page=last`).set(bearer(lister.access));
      expect(last.status).toBe(200);
      expect(pluck(last.body.results, 'quantity')).toEqual([21, 22]);
    });

    it('When the page is out of range or not a number, then 404 Invalid page.', async () => {
      for (const collection of ['carts/', 'cart-items/']) {
        for (const page of ['3', '0', 'abc', '-1']) {
          const response = await request(listing.app).get(`${ADMIN}${collection}?page=${page}`).set(bearer(lister.access));
          expect({ collection, page, status: response.status, body: response.body }).toEqual({ collection, page, status: 404, body: INVALID_PAGE });
        }
      }
    });
  });
});
