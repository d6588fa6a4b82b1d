import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, type CategoryRecord } from '../../support/catalog';
import { bearer, registerUser } from '../../support/users';
import { addLine, cartCount, quantitiesWith, statusTally, storedLines, type CartLine } from './support';

/** Concurrency against real PostgreSQL: every request below races the others through the app's own pool. */
describe('cart under concurrency', () => {
  let api: TestApi;
  let category: CategoryRecord;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    category = await insertCategory(api, { name: 'Race track', slug: 'race-track' });
  });
  afterAll(() => api.close());

  const product = (stock: number, price = '2.00') => insertProduct(api, { title: `Racer ${stock}`, category_id: category.id, stock_quantity: stock, price });

  it('When one user sends 50 concurrent adds of 1, then every increment counts: one cart, one line of 50', async () => {
    const user = await registerUser(api);
    const item = await product(1000);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => request(api.app).post('/api/v1/cart/add/').set(bearer(user.access)).send({ product_id: item.id, quantity: 1 })),
    );
    expect(statusTally(responses)).toEqual({ 201: 50 });
    // Each add saw the line after its own increment: the quantities returned are exactly 1..50.
    const seen = responses.map((response) => (response.body as CartLine).quantity).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
    expect(new Set(responses.map((response) => (response.body as CartLine).id)).size).toBe(1);
    expect(await cartCount(api, user.id)).toBe(1);
    expect(await storedLines(api, user.id)).toEqual({ [item.id]: 50 });
    const cart = await request(api.app).get('/api/v1/cart/').set(bearer(user.access));
    expect(cart.body.items).toHaveLength(1);
    expect(cart.body.total_items).toBe(50);
    expect(cart.body.total_price).toBe(100);
  });

  it('When adds of different quantities race through both add routes, then the line holds their exact sum', async () => {
    const user = await registerUser(api);
    const item = await product(1000);
    const quantities = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8];
    const responses = await Promise.all(
      quantities.map((quantity, index) =>
        request(api.app)
          .post(index % 2 === 0 ? '/api/v1/cart/add/' : '/api/v1/cart/')
          .set(bearer(user.access))
          .send({ product_id: item.id, quantity }),
      ),
    );
    expect(statusTally(responses)).toEqual({ 201: quantities.length });
    expect(await storedLines(api, user.id)).toEqual({ [item.id]: 91 });
  });

  it('When one user opens the cart 30 times at once for the first time, then exactly one cart exists', async () => {
    const user = await registerUser(api);
    const responses = await Promise.all(Array.from({ length: 30 }, () => request(api.app).get('/api/v1/cart/').set(bearer(user.access))));
    expect(statusTally(responses)).toEqual({ 200: 30 });
    const ids = new Set(responses.map((response) => response.body.id as number));
    expect(ids.size).toBe(1);
    expect(await cartCount(api, user.id)).toBe(1);
    const [row] = await api.db('carts').where({ user_id: user.id }).select('id');
    expect([...ids]).toEqual([row.id]);
  });

  it('When first-use reads and adds of several products race, then one cart holds every line', async () => {
    const user = await registerUser(api);
    const items = await Promise.all([product(100), product(100), product(100)]);
    const responses = await Promise.all([
      ...Array.from({ length: 10 }, () => request(api.app).get('/api/v1/cart/').set(bearer(user.access))),
      ...items.flatMap((item) => Array.from({ length: 5 }, () => request(api.app).post('/api/v1/cart/add/').set(bearer(user.access)).send({ product_id: item.id, quantity: 2 }))),
      ...Array.from({ length: 5 }, () => request(api.app).get('/api/v1/cart/count/').set(bearer(user.access))),
    ]);
    expect(statusTally(responses)).toEqual({ 200: 15, 201: 15 });
    expect(await cartCount(api, user.id)).toBe(1);
    expect(await storedLines(api, user.id)).toEqual(Object.fromEntries(items.map((item) => [item.id, 10])));
  });

  it('When 25 concurrent adds of 1 meet a stock of 10, then exactly 10 succeed, 15 get 409 and no 5xx', async () => {
    const user = await registerUser(api);
    const item = await product(10);
    const responses = await Promise.all(
      Array.from({ length: 25 }, () => request(api.app).post('/api/v1/cart/add/').set(bearer(user.access)).send({ product_id: item.id, quantity: 1 })),
    );
    expect(statusTally(responses)).toEqual({ 201: 10, 409: 15 });
    for (const response of responses.filter((each) => each.status === 409)) {
      expect(response.body).toEqual({ detail: 'Only 10 in stock.', code: 'insufficient_stock', available: 10, requested: 11 });
    }
    expect(await storedLines(api, user.id)).toEqual({ [item.id]: 10 });
    // The cart reserves nothing: the product's stock is untouched.
    expect((await api.db('products').where({ id: item.id }).first('stock_quantity')).stock_quantity).toBe(10);
  });

  it('When concurrent adds of 3 meet a stock of 10, then three succeed and the line never exceeds the stock', async () => {
    const user = await registerUser(api);
    const item = await product(10);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => request(api.app).post('/api/v1/cart/').set(bearer(user.access)).send({ product_id: item.id, quantity: 3 })),
    );
    expect(statusTally(responses)).toEqual({ 201: 3, 409: 5 });
    expect(await storedLines(api, user.id)).toEqual({ [item.id]: 9 });
  });

  it('When 20 concurrent increases meet a stock of 10 from a line of 1, then exactly 9 succeed and the line is 10', async () => {
    const user = await registerUser(api);
    const item = await product(10);
    const line = await addLine(api, user, item.id, 1);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => request(api.app).patch(`/api/v1/cart/increase/${line.id}/`).set(bearer(user.access))),
    );
    expect(statusTally(responses)).toEqual({ 200: 9, 409: 11 });
    expect(quantitiesWith(responses, 200)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const response of responses.filter((each) => each.status === 409)) expect(response.body.code).toBe('insufficient_stock');
    expect(await storedLines(api, user.id)).toEqual({ [item.id]: 10 });
  });

  it('When 15 concurrent decreases hit a line of 10, then 9 step it down, one removes it, the rest find nothing', async () => {
    const user = await registerUser(api);
    const item = await product(100);
    const line = await addLine(api, user, item.id, 10);
    const responses = await Promise.all(
      Array.from({ length: 15 }, () => request(api.app).patch(`/api/v1/cart/decrease/${line.id}/`).set(bearer(user.access))),
    );
    expect(statusTally(responses)).toEqual({ 200: 9, 204: 1, 404: 5 });
    expect(quantitiesWith(responses, 200)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await storedLines(api, user.id)).toEqual({});
  });

  it('When 10 increases and 10 decreases race on a line of 20, then none is lost: the line is 20 again', async () => {
    const user = await registerUser(api);
    const item = await product(100);
    const line = await addLine(api, user, item.id, 20);
    const auth = bearer(user.access);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) => request(api.app).patch(`/api/v1/cart/${index % 2 === 0 ? 'increase' : 'decrease'}/${line.id}/`).set(auth)),
    );
    expect(statusTally(responses)).toEqual({ 200: 20 });
    expect(await storedLines(api, user.id)).toEqual({ [item.id]: 20 });
  });

  it('When quantity updates race, then every one succeeds and the line ends at one of the values sent', async () => {
    const user = await registerUser(api);
    const item = await product(100);
    const line = await addLine(api, user, item.id, 50);
    const values = [1, 7, 13, 25, 40, 60, 75, 99];
    const responses = await Promise.all(
      values.map((quantity) => request(api.app).patch(`/api/v1/cart/update/${line.id}/`).set(bearer(user.access)).send({ quantity })),
    );
    expect(statusTally(responses)).toEqual({ 200: values.length });
    const stored = (await storedLines(api, user.id))[item.id];
    expect(values).toContain(stored);
  });

  it('When several users each add the whole stock at once, then all succeed: a cart reserves nothing', async () => {
    const item = await product(3);
    const users = await Promise.all(Array.from({ length: 5 }, () => registerUser(api)));
    const responses = await Promise.all(
      users.map((user) => request(api.app).post('/api/v1/cart/add/').set(bearer(user.access)).send({ product_id: item.id, quantity: 3 })),
    );
    expect(statusTally(responses)).toEqual({ 201: 5 });
    for (const user of users) expect(await storedLines(api, user.id)).toEqual({ [item.id]: 3 });
    expect((await api.db('products').where({ id: item.id }).first('stock_quantity')).stock_quantity).toBe(3);
  });

  it('When a line is removed while it is being increased, then each request is 200, 204 or 404 and nothing is left half-done', async () => {
    const user = await registerUser(api);
    const item = await product(100);
    const line = await addLine(api, user, item.id, 5);
    const auth = bearer(user.access);
    const responses = await Promise.all([
      ...Array.from({ length: 8 }, () => request(api.app).patch(`/api/v1/cart/increase/${line.id}/`).set(auth)),
      request(api.app).delete(`/api/v1/cart/remove/${line.id}/`).set(auth),
      ...Array.from({ length: 8 }, () => request(api.app).patch(`/api/v1/cart/update/${line.id}/`).set(auth).send({ quantity: 3 })),
    ]);
    expect(responses[8]?.status).toBe(204);
    for (const response of responses) expect([200, 204, 404]).toContain(response.status);
    expect(await storedLines(api, user.id)).toEqual({});
  });
});
