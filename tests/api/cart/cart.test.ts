import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import {
  insertCategory,
  insertProduct,
  ISO_MICROS,
  NO_PRODUCT,
  NOT_AUTHENTICATED,
  PRODUCT_KEYS,
  registerStaff,
  type CategoryRecord,
  type ProductSeed,
} from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { addLine, CART_KEYS, cartCount, ITEM_KEYS, NO_ITEM, NOT_FOUND, pluck, storedLines } from './support';

const HOST = 'shop.example.com';
const CART = '/api/v1/cart/';

describe('the cart (customer routes)', () => {
  let api: TestApi;
  let category: CategoryRecord;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    category = await insertCategory(api, { name: 'Kitchen', slug: 'kitchen' });
  });
  afterAll(() => api.close());

  const product = (overrides: Partial<ProductSeed> = {}) => insertProduct(api, { title: 'Kettle', category_id: category.id, stock_quantity: 50, ...overrides });
  const stockOf = async (productId: number) => (await api.db('products').where({ id: productId }).first('stock_quantity')).stock_quantity as number;

  describe('reading', () => {
    it('When a user opens the cart for the first time, then 200 creates an empty cart in the old shape', async () => {
      const user = await registerUser(api);
      expect(await cartCount(api, user.id)).toBe(0);
      const response = await request(api.app).get(CART).set(bearer(user.access));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(CART_KEYS);
      expect(response.body).toEqual({ id: expect.any(Number), user: user.id, created_at: expect.stringMatching(ISO_MICROS), items: [], total_price: 0, total_items: 0 });
      const row = await api.db('carts').where({ user_id: user.id }).first('id');
      expect(row.id).toBe(response.body.id);
    });

    it('When the cart is read again, then it is the same cart and no second one is created', async () => {
      const user = await registerUser(api);
      const first = await request(api.app).get(CART).set(bearer(user.access));
      const second = await request(api.app).get(CART).set(bearer(user.access));
      expect(second.body).toEqual(first.body);
      expect(await cartCount(api, user.id)).toBe(1);
    });

    it('When the cart holds lines, then items nest the full product and money is exact JSON numbers', async () => {
      const user = await registerUser(api);
      const kettle = await product({ title: 'Priced kettle', price: '10.50', stock_quantity: 7, image: 'products/kettle.png' });
      const spoon = await product({ title: 'Dime spoon', price: '0.10' });
      const kettleLine = await addLine(api, user, kettle.id, 3);
      const spoonLine = await addLine(api, user, spoon.id, 3);
      const response = await request(api.app).get(CART).set('Host', HOST).set(bearer(user.access));
      expect(response.status).toBe(200);
      const publicKettle = await request(api.app).get(`/api/v1/products/${kettle.id}/`).set('Host', HOST);
      expect(publicKettle.status).toBe(200);
      expect(response.body.items).toEqual([
        { id: kettleLine.id, product: publicKettle.body, quantity: 3, subtotal: 31.5, available: true },
        { id: spoonLine.id, product: expect.objectContaining({ id: spoon.id, price: '0.10', title: 'Dime spoon' }), quantity: 3, subtotal: 0.3, available: true },
      ]);
      for (const item of response.body.items) {
        expect(Object.keys(item)).toEqual(ITEM_KEYS);
        expect(Object.keys(item.product)).toEqual(PRODUCT_KEYS);
      }
      expect(response.body.items[0].product.image).toBe(`http://${HOST}/media/products/kettle.png`);
      expect(response.body.items[0].product.stock_quantity).toBe(7);
      // Money is summed in cents: 3 × 0.10 is 0.3 here, not the float 0.30000000000000004.
      expect(response.body.total_price).toBe(31.8);
      expect(response.body.total_items).toBe(6);
      expect((await request(api.app).get(`${CART}count/`).set(bearer(user.access))).body).toEqual({ count: 6 });
      expect((await request(api.app).get(`${CART}total/`).set(bearer(user.access))).body).toEqual({ total: 31.8 });
    });

    it('When the cart is worth billions, then subtotal and total stay exact', async () => {
      const user = await registerUser(api);
      const pricey = await product({ title: 'Yacht', price: '99999999.99', stock_quantity: 1000 });
      const line = await addLine(api, user, pricey.id, 100);
      expect(line.subtotal).toBe(9_999_999_999);
      const cart = await request(api.app).get(CART).set(bearer(user.access));
      expect(cart.body.total_price).toBe(9_999_999_999);
      expect((await request(api.app).get(`${CART}total/`).set(bearer(user.access))).body).toEqual({ total: 9_999_999_999 });
    });

    it('When a user has no cart, then count and total are 0 and still no cart exists', async () => {
      const user = await registerUser(api);
      const count = await request(api.app).get(`${CART}count/`).set(bearer(user.access));
      const total = await request(api.app).get(`${CART}total/`).set(bearer(user.access));
      expect([count.status, count.body]).toEqual([200, { count: 0 }]);
      expect([total.status, total.body]).toEqual([200, { total: 0 }]);
      expect(await cartCount(api, user.id)).toBe(0);
    });

    it("When two users fill their carts, then each sees only their own lines", async () => {
      const alice = await registerUser(api);
      const bob = await registerUser(api);
      const item = await product();
      await addLine(api, alice, item.id, 2);
      await addLine(api, bob, item.id, 5);
      const mine = await request(api.app).get(CART).set(bearer(alice.access));
      expect(mine.body.user).toBe(alice.id);
      expect(pluck(mine.body.items, 'quantity')).toEqual([2]);
      expect((await request(api.app).get(`${CART}count/`).set(bearer(bob.access))).body).toEqual({ count: 5 });
    });
  });

  describe('adding', () => {
    it('When a product is added, then 201 returns the line, and the cart is created on the way', async () => {
      const user = await registerUser(api);
      const item = await product({ price: '4.25' });
      const response = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).send({ product_id: item.id, quantity: 2 });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body)).toEqual(ITEM_KEYS);
      expect(response.body).toEqual({ id: expect.any(Number), product: expect.objectContaining({ id: item.id, price: '4.25' }), quantity: 2, subtotal: 8.5, available: true });
      expect(await cartCount(api, user.id)).toBe(1);
      expect(await storedLines(api, user.id)).toEqual({ [item.id]: 2 });
    });

    it('When quantity is left out, then it defaults to 1', async () => {
      const user = await registerUser(api);
      const item = await product();
      const line = await addLine(api, user, item.id);
      expect(line.quantity).toBe(1);
      expect(await storedLines(api, user.id)).toEqual({ [item.id]: 1 });
    });

    it('When the same product is added again, then 201 and the quantities merge into the same line', async () => {
      const user = await registerUser(api);
      const item = await product({ price: '3.00' });
      const first = await addLine(api, user, item.id, 2);
      const second = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).send({ product_id: item.id, quantity: 3 });
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ id: first.id, quantity: 5, subtotal: 15 });
      expect(await storedLines(api, user.id)).toEqual({ [item.id]: 5 });
      expect(await api.db('cart_items').where({ product_id: item.id })).toHaveLength(1);
    });

    it('When POST /cart/ is used (the REST alias), then it adds and merges exactly like /cart/add/', async () => {
      const user = await registerUser(api);
      const item = await product();
      const viaAdd = await addLine(api, user, item.id, 1);
      const response = await request(api.app).post(CART).set(bearer(user.access)).send({ product_id: item.id, quantity: 4 });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ id: viaAdd.id, quantity: 5 });
      const other = await product({ title: 'Alias only' });
      const created = await request(api.app).post(CART).set(bearer(user.access)).send({ product_id: other.id });
      expect(created.status).toBe(201);
      expect(created.body.quantity).toBe(1);
      expect(await storedLines(api, user.id)).toEqual({ [item.id]: 5, [other.id]: 1 });
    });

    it('When the body is form-encoded with digit strings, then it is accepted as integers', async () => {
      const user = await registerUser(api);
      const item = await product();
      const response = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).type('form').send({ product_id: String(item.id), quantity: '3' });
      expect(response.status).toBe(201);
      expect(response.body.quantity).toBe(3);
      expect(await storedLines(api, user.id)).toEqual({ [item.id]: 3 });
    });

    it('When the product does not exist, then 404 No Product and not even a cart is created', async () => {
      const user = await registerUser(api);
      for (const path of [`${CART}add/`, CART]) {
        const response = await request(api.app).post(path).set(bearer(user.access)).send({ product_id: 987_654_321 });
        expect(response.status).toBe(404);
        expect(response.body).toEqual(NO_PRODUCT);
      }
      expect(await cartCount(api, user.id)).toBe(0);
    });

    it('When the product is inactive, then 404 No Product and nothing is stored', async () => {
      const user = await registerUser(api);
      await request(api.app).get(CART).set(bearer(user.access));
      const hidden = await product({ title: 'Withdrawn', is_active: false });
      const response = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).send({ product_id: hidden.id, quantity: 1 });
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NO_PRODUCT);
      expect(await storedLines(api, user.id)).toEqual({});
    });
  });

  describe('validation', () => {
    let user: RegisteredUser;
    let itemId: number;

    beforeAll(async () => {
      user = await registerUser(api);
      itemId = (await product({ title: 'Validated' })).id;
    });

    const cases: [string, (id: number) => unknown, Record<string, unknown>][] = [
      ['no product_id', () => ({}), { product_id: ['This field is required.'] }],
      ['the old wrong key "product"', (id) => ({ product: id }), { product_id: ['This field is required.'] }],
      ['quantity 0', (id) => ({ product_id: id, quantity: 0 }), { quantity: ['Quantity must be greater than 0.'] }],
      ['a negative quantity', (id) => ({ product_id: id, quantity: -4 }), { quantity: ['Quantity must be greater than 0.'] }],
      ['quantity above the maximum', (id) => ({ product_id: id, quantity: 101 }), { quantity: ['Ensure this value is less than or equal to 100.'] }],
      ['a huge quantity', (id) => ({ product_id: id, quantity: 10 ** 12 }), { quantity: ['Ensure this value is less than or equal to 100.'] }],
      ['quantity "abc"', (id) => ({ product_id: id, quantity: 'abc' }), { quantity: ['A valid integer is required.'] }],
      ['a fractional quantity', (id) => ({ product_id: id, quantity: 1.5 }), { quantity: ['A valid integer is required.'] }],
      ['quantity true', (id) => ({ product_id: id, quantity: true }), { quantity: ['A valid integer is required.'] }],
      ['quantity null', (id) => ({ product_id: id, quantity: null }), { quantity: ['This field may not be null.'] }],
      ['product_id "abc"', () => ({ product_id: 'abc' }), { product_id: ['A valid integer is required.'] }],
      ['product_id as SQL', () => ({ product_id: '1 OR 1=1' }), { product_id: ['A valid integer is required.'] }],
      ['product_id as an object', () => ({ product_id: { $gt: 0 } }), { product_id: ['A valid integer is required.'] }],
      ['product_id 0', () => ({ product_id: 0 }), { product_id: ['Ensure this value is greater than or equal to 1.'] }],
      ['a negative product_id', () => ({ product_id: -7 }), { product_id: ['Ensure this value is greater than or equal to 1.'] }],
      ['a product_id beyond 2^53', () => ({ product_id: 1e20 }), { product_id: ['A valid integer is required.'] }],
      ['product_id null', () => ({ product_id: null }), { product_id: ['This field may not be null.'] }],
    ];

    it.each(cases)('When the add body has %s, then 400 with the field error and nothing is stored', async (_label, body, errors) => {
      for (const path of [`${CART}add/`, CART]) {
        const response = await request(api.app).post(path).set(bearer(user.access)).send(body(itemId) as object);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ ...errors, code: 'invalid' });
      }
      expect(await storedLines(api, user.id)).toEqual({});
    });

    it('When the JSON is malformed, then 400 parse_error and nothing is stored', async () => {
      const response = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).set('Content-Type', 'application/json').send('{"product_id": 1,');
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ detail: expect.stringMatching(/^JSON parse error - /), code: 'parse_error' });
      expect(await storedLines(api, user.id)).toEqual({});
    });

    it('When the body is XML, then 415', async () => {
      const response = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).set('Content-Type', 'application/xml').send('<product_id>1</product_id>');
      expect(response.status).toBe(415);
      expect(response.body).toEqual({ detail: 'Unsupported media type "application/xml" in request.', code: 'unsupported_media_type' });
    });

    it('When a quantity update is invalid, then 400 with the field error and the line is unchanged', async () => {
      const owner = await registerUser(api);
      const line = await addLine(api, owner, itemId, 2);
      const bad: [unknown, Record<string, unknown>][] = [
        [{}, { quantity: ['This field is required.'] }],
        [{ quantity: 0 }, { quantity: ['Quantity must be greater than 0.'] }],
        [{ quantity: -1 }, { quantity: ['Quantity must be greater than 0.'] }],
        [{ quantity: 'abc' }, { quantity: ['A valid integer is required.'] }],
        [{ quantity: 101 }, { quantity: ['Ensure this value is less than or equal to 100.'] }],
        [{ quantity: 2 ** 31 }, { quantity: ['Ensure this value is less than or equal to 100.'] }],
      ];
      for (const [body, errors] of bad) {
        for (const [method, path] of [['patch', `${CART}update/${line.id}/`], ['put', `${CART}${line.id}/`], ['patch', `${CART}${line.id}/`]] as const) {
          const response = await request(api.app)[method](path).set(bearer(owner.access)).send(body as object);
          expect({ path, method, status: response.status, body: response.body }).toEqual({ path, method, status: 400, body: { ...errors, code: 'invalid' } });
        }
      }
      expect(await storedLines(api, owner.id)).toEqual({ [itemId]: 2 });
    });

    it('When a path id is not a positive integer or carries SQL, then 404 Not found and nothing changes', async () => {
      const owner = await registerUser(api);
      await addLine(api, owner, itemId, 2);
      const auth = bearer(owner.access);
      for (const raw of ['abc', '0', '-1', '1.5', '99999999999999999999', "1' OR '1'='1", '1;DROP TABLE cart_items', '1 OR 1=1']) {
        const id = encodeURIComponent(raw);
        const responses = [
          await request(api.app).patch(`${CART}update/${id}/`).set(auth).send({ quantity: 1 }),
          await request(api.app).put(`${CART}${id}/`).set(auth).send({ quantity: 1 }),
          await request(api.app).patch(`${CART}${id}/`).set(auth).send({ quantity: 1 }),
          await request(api.app).delete(`${CART}remove/${id}/`).set(auth),
          await request(api.app).delete(`${CART}${id}/`).set(auth),
          await request(api.app).patch(`${CART}increase/${id}/`).set(auth),
          await request(api.app).patch(`${CART}decrease/${id}/`).set(auth),
        ];
        for (const response of responses) expect({ raw, status: response.status, body: response.body }).toEqual({ raw, status: 404, body: NOT_FOUND });
      }
      expect(await storedLines(api, owner.id)).toEqual({ [itemId]: 2 });
    });

    it('When a path id is well-formed but unknown, then 404 No CartItem', async () => {
      const owner = await registerUser(api);
      await addLine(api, owner, itemId, 1);
      for (const id of [2_147_483_648, Number.MAX_SAFE_INTEGER]) {
        const response = await request(api.app).patch(`${CART}increase/${id}/`).set(bearer(owner.access));
        expect(response.status).toBe(404);
        expect(response.body).toEqual(NO_ITEM);
      }
    });
  });

  describe('changing lines', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(api);
    });

    it('When PATCH /cart/update/{id}/ sets a quantity, then 200 with the line at that exact quantity', async () => {
      const item = await product({ price: '2.50' });
      const line = await addLine(api, user, item.id, 2);
      const response = await request(api.app).patch(`${CART}update/${line.id}/`).set(bearer(user.access)).send({ quantity: 7 });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(ITEM_KEYS);
      expect(response.body).toMatchObject({ id: line.id, quantity: 7, subtotal: 17.5, available: true });
      expect((await storedLines(api, user.id))[item.id]).toBe(7);
      const lower = await request(api.app).patch(`${CART}update/${line.id}/`).set(bearer(user.access)).send({ quantity: 1 });
      expect(lower.status).toBe(200);
      expect(lower.body.quantity).toBe(1);
      expect((await storedLines(api, user.id))[item.id]).toBe(1);
    });

    it('When PUT or PATCH /cart/{id}/ (the REST aliases) set a quantity, then 200 and it is stored', async () => {
      const item = await product();
      const line = await addLine(api, user, item.id, 2);
      const put = await request(api.app).put(`${CART}${line.id}/`).set(bearer(user.access)).send({ quantity: 9 });
      expect([put.status, put.body.quantity]).toEqual([200, 9]);
      const patch = await request(api.app).patch(`${CART}${line.id}/`).set(bearer(user.access)).send({ quantity: 4 });
      expect([patch.status, patch.body.quantity]).toEqual([200, 4]);
      expect((await storedLines(api, user.id))[item.id]).toBe(4);
    });

    it('When PUT is sent to /cart/update/{id}/, then 405 with Allow and the line is unchanged', async () => {
      const item = await product();
      const line = await addLine(api, user, item.id, 2);
      const response = await request(api.app).put(`${CART}update/${line.id}/`).set(bearer(user.access)).send({ quantity: 5 });
      expect(response.status).toBe(405);
      expect(response.body).toEqual({ detail: 'Method "PUT" not allowed.', code: 'method_not_allowed' });
      expect(response.headers.allow).toBe('PATCH, OPTIONS');
      expect((await storedLines(api, user.id))[item.id]).toBe(2);
    });

    it('When POST is sent to increase or decrease, then 405', async () => {
      const item = await product();
      const line = await addLine(api, user, item.id, 2);
      for (const step of ['increase', 'decrease']) {
        const response = await request(api.app).post(`${CART}${step}/${line.id}/`).set(bearer(user.access));
        expect(response.status).toBe(405);
        expect(response.body).toEqual({ detail: 'Method "POST" not allowed.', code: 'method_not_allowed' });
      }
      expect((await storedLines(api, user.id))[item.id]).toBe(2);
    });

    it('When a line is increased, then 200 with quantity + 1', async () => {
      const item = await product({ price: '1.25' });
      const line = await addLine(api, user, item.id, 2);
      const response = await request(api.app).patch(`${CART}increase/${line.id}/`).set(bearer(user.access));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: line.id, quantity: 3, subtotal: 3.75 });
      expect((await storedLines(api, user.id))[item.id]).toBe(3);
    });

    it('When a line above 1 is decreased, then 200 with quantity − 1', async () => {
      const item = await product();
      const line = await addLine(api, user, item.id, 3);
      const response = await request(api.app).patch(`${CART}decrease/${line.id}/`).set(bearer(user.access));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(ITEM_KEYS);
      expect(response.body).toMatchObject({ id: line.id, quantity: 2 });
      expect((await storedLines(api, user.id))[item.id]).toBe(2);
    });

    it('When a line of 1 is decreased, then 204 with an empty body and the line is gone', async () => {
      const item = await product();
      const line = await addLine(api, user, item.id, 1);
      const response = await request(api.app).patch(`${CART}decrease/${line.id}/`).set(bearer(user.access));
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expect(await api.db('cart_items').where({ id: line.id })).toHaveLength(0);
      const again = await request(api.app).patch(`${CART}decrease/${line.id}/`).set(bearer(user.access));
      expect([again.status, again.body]).toEqual([404, NO_ITEM]);
    });

    it('When a line is removed through either route, then 204, it is gone, and a second delete is 404', async () => {
      for (const path of [(id: number) => `${CART}remove/${id}/`, (id: number) => `${CART}${id}/`]) {
        const item = await product();
        const line = await addLine(api, user, item.id, 2);
        const response = await request(api.app).delete(path(line.id)).set(bearer(user.access));
        expect(response.status).toBe(204);
        expect(response.text).toBe('');
        expect(await api.db('cart_items').where({ id: line.id })).toHaveLength(0);
        const again = await request(api.app).delete(path(line.id)).set(bearer(user.access));
        expect([again.status, again.body]).toEqual([404, NO_ITEM]);
      }
    });

    it('When the cart is cleared, then 204, every line is gone and the cart itself is kept', async () => {
      const shopper = await registerUser(api);
      const [first, second] = [await product(), await product()];
      await addLine(api, shopper, first.id, 2);
      await addLine(api, shopper, second.id, 3);
      const cartId = (await api.db('carts').where({ user_id: shopper.id }).first('id')).id;
      const response = await request(api.app).delete(`${CART}clear/`).set(bearer(shopper.access));
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expect(await storedLines(api, shopper.id)).toEqual({});
      expect((await api.db('carts').where({ user_id: shopper.id }).select('id')).map((row: { id: number }) => row.id)).toEqual([cartId]);
      const cart = await request(api.app).get(CART).set(bearer(shopper.access));
      expect(cart.body).toMatchObject({ id: cartId, items: [], total_price: 0, total_items: 0 });
    });

    it('When a user without a cart clears it, then 204 (not the old empty 404) and no cart is created', async () => {
      const fresh = await registerUser(api);
      const response = await request(api.app).delete(`${CART}clear/`).set(bearer(fresh.access));
      expect(response.status).toBe(204);
      expect(await cartCount(api, fresh.id)).toBe(0);
    });

    it("When clearing one user's cart, then another user's lines stay", async () => {
      const keeper = await registerUser(api);
      const clearer = await registerUser(api);
      const item = await product();
      await addLine(api, keeper, item.id, 4);
      await addLine(api, clearer, item.id, 1);
      expect((await request(api.app).delete(`${CART}clear/`).set(bearer(clearer.access))).status).toBe(204);
      expect(await storedLines(api, keeper.id)).toEqual({ [item.id]: 4 });
      expect(await storedLines(api, clearer.id)).toEqual({});
    });
  });

  describe('ownership and authentication', () => {
    it("When another user's line id is used, then every line route is 404 No CartItem and their line is unchanged", async () => {
      const owner = await registerUser(api);
      const intruder = await registerUser(api);
      const item = await product();
      await addLine(api, intruder, item.id, 1);
      const theirs = await addLine(api, owner, item.id, 3);
      const auth = bearer(intruder.access);
      const responses = [
        await request(api.app).patch(`${CART}update/${theirs.id}/`).set(auth).send({ quantity: 1 }),
        await request(api.app).put(`${CART}${theirs.id}/`).set(auth).send({ quantity: 1 }),
        await request(api.app).patch(`${CART}${theirs.id}/`).set(auth).send({ quantity: 1 }),
        await request(api.app).patch(`${CART}increase/${theirs.id}/`).set(auth),
        await request(api.app).patch(`${CART}decrease/${theirs.id}/`).set(auth),
        await request(api.app).delete(`${CART}remove/${theirs.id}/`).set(auth),
        await request(api.app).delete(`${CART}${theirs.id}/`).set(auth),
      ];
      for (const response of responses) {
        expect(response.status).toBe(404);
        expect(response.body).toEqual(NO_ITEM);
      }
      expect(await storedLines(api, owner.id)).toEqual({ [item.id]: 3 });
      expect(await storedLines(api, intruder.id)).toEqual({ [item.id]: 1 });
    });

    it("When a user with no cart at all targets someone's line, then 404 and still no cart for them", async () => {
      const owner = await registerUser(api);
      const stranger = await registerUser(api);
      const item = await product();
      const theirs = await addLine(api, owner, item.id, 3);
      const auth = bearer(stranger.access);
      for (const response of [
        await request(api.app).patch(`${CART}update/${theirs.id}/`).set(auth).send({ quantity: 1 }),
        await request(api.app).patch(`${CART}increase/${theirs.id}/`).set(auth),
        await request(api.app).patch(`${CART}decrease/${theirs.id}/`).set(auth),
        await request(api.app).delete(`${CART}remove/${theirs.id}/`).set(auth),
      ]) {
        expect([response.status, response.body]).toEqual([404, NO_ITEM]);
      }
      expect(await cartCount(api, stranger.id)).toBe(0);
      expect(await storedLines(api, owner.id)).toEqual({ [item.id]: 3 });
    });

    it('When nobody is signed in, then every cart route is 401 with the DRF body and nothing is created', async () => {
      const owner = await registerUser(api);
      const item = await product();
      const line = await addLine(api, owner, item.id, 2);
      const attempts = [
        request(api.app).get(CART),
        request(api.app).post(CART).send({ product_id: item.id }),
        request(api.app).post(`${CART}add/`).send({ product_id: item.id }),
        request(api.app).get(`${CART}count/`),
        request(api.app).get(`${CART}total/`),
        request(api.app).delete(`${CART}clear/`),
        request(api.app).patch(`${CART}update/${line.id}/`).send({ quantity: 1 }),
        request(api.app).put(`${CART}${line.id}/`).send({ quantity: 1 }),
        request(api.app).patch(`${CART}${line.id}/`).send({ quantity: 1 }),
        request(api.app).delete(`${CART}remove/${line.id}/`),
        request(api.app).delete(`${CART}${line.id}/`),
        request(api.app).patch(`${CART}increase/${line.id}/`),
        request(api.app).patch(`${CART}decrease/${line.id}/`),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(401);
        expect(response.body).toEqual(NOT_AUTHENTICATED);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
      }
      expect(await storedLines(api, owner.id)).toEqual({ [item.id]: 2 });
    });

    it('When the token is not valid, then 401 token_not_valid', async () => {
      const response = await request(api.app).get(CART).set(bearer('not.a.token'));
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'token_not_valid', detail: 'Given token not valid for any token type' });
    });
  });

  describe('stock and the maximum', () => {
    it('When more than the stock is added, then 409 insufficient_stock with the numbers and nothing is stored', async () => {
      const user = await registerUser(api);
      const item = await product({ stock_quantity: 5 });
      const response = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).send({ product_id: item.id, quantity: 6 });
      expect(response.status).toBe(409);
      expect(response.body).toEqual({ detail: 'Only 5 in stock.', code: 'insufficient_stock', available: 5, requested: 6 });
      expect(await cartCount(api, user.id)).toBe(0);
      expect(await stockOf(item.id)).toBe(5);
    });

    it('When exactly the stock is added, then 201', async () => {
      const user = await registerUser(api);
      const item = await product({ stock_quantity: 5 });
      expect((await addLine(api, user, item.id, 5)).quantity).toBe(5);
    });

    it('When a merge would go beyond the stock, then 409 with the merged total requested and the line is unchanged', async () => {
      const user = await registerUser(api);
      const item = await product({ stock_quantity: 5 });
      const line = await addLine(api, user, item.id, 3);
      for (const path of [`${CART}add/`, CART]) {
        const response = await request(api.app).post(path).set(bearer(user.access)).send({ product_id: item.id, quantity: 3 });
        expect(response.status).toBe(409);
        expect(response.body).toEqual({ detail: 'Only 5 in stock.', code: 'insufficient_stock', available: 5, requested: 6 });
      }
      expect(await storedLines(api, user.id)).toEqual({ [item.id]: 3 });
      const row = await api.db('cart_items').where({ id: line.id }).first('quantity');
      expect(row.quantity).toBe(3);
    });

    it('When the product is out of stock, then adding even 1 is 409 with available 0', async () => {
      const user = await registerUser(api);
      const item = await product({ stock_quantity: 0 });
      const response = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).send({ product_id: item.id });
      expect(response.status).toBe(409);
      expect(response.body).toEqual({ detail: 'Only 0 in stock.', code: 'insufficient_stock', available: 0, requested: 1 });
    });

    it('When plenty is in stock but the line would pass the maximum, then 409 quantity_limit', async () => {
      const user = await registerUser(api);
      const item = await product({ stock_quantity: 10_000 });
      const line = await addLine(api, user, item.id, 100);
      const add = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).send({ product_id: item.id, quantity: 1 });
      expect(add.status).toBe(409);
      expect(add.body).toEqual({ detail: 'At most 100 of one product per cart.', code: 'quantity_limit', available: 100, requested: 101 });
      const increase = await request(api.app).patch(`${CART}increase/${line.id}/`).set(bearer(user.access));
      expect(increase.status).toBe(409);
      expect(increase.body).toEqual({ detail: 'At most 100 of one product per cart.', code: 'quantity_limit', available: 100, requested: 101 });
      expect(await storedLines(api, user.id)).toEqual({ [item.id]: 100 });
    });

    it('When an update or increase asks for more than the stock, then 409 insufficient_stock and the line is unchanged', async () => {
      const user = await registerUser(api);
      const item = await product({ stock_quantity: 4 });
      const line = await addLine(api, user, item.id, 4);
      const update = await request(api.app).patch(`${CART}update/${line.id}/`).set(bearer(user.access)).send({ quantity: 9 });
      expect(update.status).toBe(409);
      expect(update.body).toEqual({ detail: 'Only 4 in stock.', code: 'insufficient_stock', available: 4, requested: 9 });
      const put = await request(api.app).put(`${CART}${line.id}/`).set(bearer(user.access)).send({ quantity: 5 });
      expect(put.status).toBe(409);
      expect(put.body.requested).toBe(5);
      const increase = await request(api.app).patch(`${CART}increase/${line.id}/`).set(bearer(user.access));
      expect(increase.status).toBe(409);
      expect(increase.body).toEqual({ detail: 'Only 4 in stock.', code: 'insufficient_stock', available: 4, requested: 5 });
      expect(await storedLines(api, user.id)).toEqual({ [item.id]: 4 });
    });

    it('When the stock falls below a line, then the line shows unavailable, lowering is allowed and raising is refused', async () => {
      const user = await registerUser(api);
      const item = await product({ stock_quantity: 10, price: '2.00' });
      const line = await addLine(api, user, item.id, 6);
      await api.db('products').where({ id: item.id }).update({ stock_quantity: 2 });

      const cart = await request(api.app).get(CART).set(bearer(user.access));
      expect(cart.body.items).toEqual([expect.objectContaining({ id: line.id, quantity: 6, subtotal: 12, available: false, product: expect.objectContaining({ stock_quantity: 2 }) })]);

      const lower = await request(api.app).patch(`${CART}update/${line.id}/`).set(bearer(user.access)).send({ quantity: 5 });
      expect(lower.status).toBe(200);
      expect(lower.body).toMatchObject({ quantity: 5, available: false });
      const same = await request(api.app).patch(`${CART}${line.id}/`).set(bearer(user.access)).send({ quantity: 5 });
      expect([same.status, same.body.quantity]).toEqual([200, 5]);
      const decrease = await request(api.app).patch(`${CART}decrease/${line.id}/`).set(bearer(user.access));
      expect([decrease.status, decrease.body.quantity]).toEqual([200, 4]);

      const increase = await request(api.app).patch(`${CART}increase/${line.id}/`).set(bearer(user.access));
      expect(increase.status).toBe(409);
      expect(increase.body).toEqual({ detail: 'Only 2 in stock.', code: 'insufficient_stock', available: 2, requested: 5 });
      const raise = await request(api.app).patch(`${CART}update/${line.id}/`).set(bearer(user.access)).send({ quantity: 6 });
      expect(raise.status).toBe(409);
      expect(await storedLines(api, user.id)).toEqual({ [item.id]: 4 });

      const fits = await request(api.app).patch(`${CART}update/${line.id}/`).set(bearer(user.access)).send({ quantity: 2 });
      expect(fits.body).toMatchObject({ quantity: 2, available: true });
    });

    it('When a product in the cart is deactivated, then it shows unavailable, can be lowered or removed, but not raised', async () => {
      const user = await registerUser(api);
      const item = await product({ stock_quantity: 10 });
      const line = await addLine(api, user, item.id, 3);
      await api.db('products').where({ id: item.id }).update({ is_active: false });

      const cart = await request(api.app).get(CART).set(bearer(user.access));
      expect(cart.body.items).toEqual([expect.objectContaining({ id: line.id, quantity: 3, available: false })]);
      const increase = await request(api.app).patch(`${CART}increase/${line.id}/`).set(bearer(user.access));
      expect([increase.status, increase.body]).toEqual([404, NO_PRODUCT]);
      const add = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).send({ product_id: item.id });
      expect([add.status, add.body]).toEqual([404, NO_PRODUCT]);
      expect(await storedLines(api, user.id)).toEqual({ [item.id]: 3 });

      const decrease = await request(api.app).patch(`${CART}decrease/${line.id}/`).set(bearer(user.access));
      expect([decrease.status, decrease.body.quantity]).toEqual([200, 2]);
      expect((await request(api.app).delete(`${CART}remove/${line.id}/`).set(bearer(user.access))).status).toBe(204);
      expect(await storedLines(api, user.id)).toEqual({});
    });

    it('When the price changes after adding, then the cart shows the current price (no snapshot)', async () => {
      const user = await registerUser(api);
      const item = await product({ price: '5.00' });
      await addLine(api, user, item.id, 2);
      await api.db('products').where({ id: item.id }).update({ price: '7.25' });
      const cart = await request(api.app).get(CART).set(bearer(user.access));
      expect(cart.body.items[0]).toMatchObject({ subtotal: 14.5, product: expect.objectContaining({ price: '7.25' }) });
      expect(cart.body.total_price).toBe(14.5);
    });
  });

  describe('products leaving the catalogue', () => {
    it('When staff delete a product, then it leaves every cart (CASCADE) and the totals follow', async () => {
      const staff = await registerStaff(api);
      const [alice, bob] = [await registerUser(api), await registerUser(api)];
      const doomed = await product({ title: 'Doomed', price: '3.00' });
      const kept = await product({ title: 'Kept', price: '1.00' });
      await addLine(api, alice, doomed.id, 2);
      await addLine(api, alice, kept.id, 1);
      await addLine(api, bob, doomed.id, 4);

      const deleted = await request(api.app).delete(`/api/v1/admin/products/${doomed.id}`).set(bearer(staff.access));
      expect(deleted.status).toBe(204);

      expect(await api.db('cart_items').where({ product_id: doomed.id })).toHaveLength(0);
      expect(await storedLines(api, alice.id)).toEqual({ [kept.id]: 1 });
      expect(await storedLines(api, bob.id)).toEqual({});
      const cart = await request(api.app).get(CART).set(bearer(alice.access));
      expect(cart.body).toMatchObject({ total_price: 1, total_items: 1 });
      expect((await request(api.app).get(`${CART}count/`).set(bearer(bob.access))).body).toEqual({ count: 0 });
    });

    it('When a product row is deleted in the database, then its lines go with it', async () => {
      const user = await registerUser(api);
      const item = await product();
      const line = await addLine(api, user, item.id, 2);
      await api.db('products').where({ id: item.id }).delete();
      expect(await api.db('cart_items').where({ id: line.id })).toHaveLength(0);
      const response = await request(api.app).patch(`${CART}increase/${line.id}/`).set(bearer(user.access));
      expect([response.status, response.body]).toEqual([404, NO_ITEM]);
    });

    it('When a user is deleted, then their cart and its lines are deleted too', async () => {
      const user = await registerUser(api);
      const item = await product();
      const line = await addLine(api, user, item.id, 2);
      await api.db('users').where({ id: user.id }).delete();
      expect(await cartCount(api, user.id)).toBe(0);
      expect(await api.db('cart_items').where({ id: line.id })).toHaveLength(0);
    });
  });
});

describe('the cart with CART_MAX_QUANTITY=5', () => {
  let api: TestApi;
  let category: CategoryRecord;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', CART_MAX_QUANTITY: '5' });
    category = await insertCategory(api, { name: 'Limited', slug: 'limited' });
  });
  afterAll(() => api.close());

  it('When a request asks for more than the configured maximum, then 400 names that maximum', async () => {
    const user = await registerUser(api);
    const item = await insertProduct(api, { title: 'Capped', category_id: category.id, stock_quantity: 1000 });
    const response = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).send({ product_id: item.id, quantity: 6 });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ quantity: ['Ensure this value is less than or equal to 5.'], code: 'invalid' });
    const line = await addLine(api, user, item.id, 5);
    const update = await request(api.app).patch(`${CART}update/${line.id}/`).set(bearer(user.access)).send({ quantity: 6 });
    expect(update.status).toBe(400);
    expect(update.body).toEqual({ quantity: ['Ensure this value is less than or equal to 5.'], code: 'invalid' });
  });

  it('When merging or increasing would pass the configured maximum, then 409 quantity_limit at 5', async () => {
    const user = await registerUser(api);
    const item = await insertProduct(api, { title: 'Capped too', category_id: category.id, stock_quantity: 1000 });
    const line = await addLine(api, user, item.id, 4);
    const merge = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).send({ product_id: item.id, quantity: 2 });
    expect(merge.status).toBe(409);
    expect(merge.body).toEqual({ detail: 'At most 5 of one product per cart.', code: 'quantity_limit', available: 5, requested: 6 });
    expect((await request(api.app).patch(`${CART}increase/${line.id}/`).set(bearer(user.access))).body.quantity).toBe(5);
    const over = await request(api.app).patch(`${CART}increase/${line.id}/`).set(bearer(user.access));
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('quantity_limit');
    expect(await storedLines(api, user.id)).toEqual({ [item.id]: 5 });
  });

  it('When the stock is below the maximum, then the stock is the limit that is reported', async () => {
    const user = await registerUser(api);
    const item = await insertProduct(api, { title: 'Scarce', category_id: category.id, stock_quantity: 3 });
    const response = await request(api.app).post(`${CART}add/`).set(bearer(user.access)).send({ product_id: item.id, quantity: 4 });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ detail: 'Only 3 in stock.', code: 'insufficient_stock', available: 3, requested: 4 });
  });
});

describe('the cart in the OpenAPI document', () => {
  let api: TestApi;
  let paths: Record<string, Record<string, { security?: unknown; responses?: Record<string, unknown>; tags?: string[] }>>;

  beforeAll(async () => {
    api = await startTestApi();
    const response = await request(api.app).get('/api/v1/schema/');
    expect(response.status).toBe(200);
    paths = (JSON.parse(response.text) as { paths: typeof paths }).paths;
  });
  afterAll(() => api.close());

  const ROUTES: [string, string][] = [
    ['get', '/api/v1/cart/'],
    ['post', '/api/v1/cart/'],
    ['post', '/api/v1/cart/add/'],
    ['patch', '/api/v1/cart/update/{item_id}/'],
    ['delete', '/api/v1/cart/remove/{item_id}/'],
    ['delete', '/api/v1/cart/clear/'],
    ['get', '/api/v1/cart/count/'],
    ['get', '/api/v1/cart/total/'],
    ['patch', '/api/v1/cart/increase/{item_id}/'],
    ['patch', '/api/v1/cart/decrease/{item_id}/'],
    ['put', '/api/v1/cart/{item_id}/'],
    ['patch', '/api/v1/cart/{item_id}/'],
    ['delete', '/api/v1/cart/{item_id}/'],
    ['get', '/api/v1/cart/admin/'],
    ['get', '/api/v1/cart/admin/carts/'],
    ['get', '/api/v1/cart/admin/carts/{id}/'],
    ['delete', '/api/v1/cart/admin/carts/{id}/'],
    ['get', '/api/v1/cart/admin/cart-items/'],
    ['get', '/api/v1/cart/admin/cart-items/{id}/'],
    ['delete', '/api/v1/cart/admin/cart-items/{id}/'],
  ];

  it('When the paths are listed, then every cart route is documented and requires a bearer token', () => {
    for (const [method, path] of ROUTES) {
      const operation = paths[path]?.[method];
      expect({ method, path, documented: Boolean(operation) }).toEqual({ method, path, documented: true });
      expect(operation?.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation?.responses ?? {})).toContain('401');
    }
  });

  it('When the cart operations are read, then adds document 201 and 409, decrease documents 204, staff routes 403', () => {
    for (const path of ['/api/v1/cart/', '/api/v1/cart/add/']) expect(Object.keys(paths[path]?.post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '404', '409']));
    expect(Object.keys(paths['/api/v1/cart/decrease/{item_id}/']?.patch?.responses ?? {})).toEqual(expect.arrayContaining(['200', '204', '404']));
    expect(Object.keys(paths['/api/v1/cart/increase/{item_id}/']?.patch?.responses ?? {})).toEqual(expect.arrayContaining(['200', '404', '409']));
    expect(Object.keys(paths['/api/v1/cart/admin/carts/']?.get?.responses ?? {})).toContain('403');
    expect(paths['/api/v1/cart/admin/carts/']?.post).toBeUndefined();
    expect(paths['/api/v1/cart/admin/cart-items/{id}/']?.patch).toBeUndefined();
    expect(paths['/api/v1/cart/update/{item_id}/']?.put).toBeUndefined();
  });
});
