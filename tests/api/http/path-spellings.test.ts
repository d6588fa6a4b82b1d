import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';

const NOT_FOUND = { detail: 'Not found.', code: 'not_found' };

let ipCounter = 0;
/** A fresh documentation-range address per use, so each test has its own buckets. */
const clientIp = () => `192.0.2.${(ipCounter += 1)}`;

/**
 * Paths are matched case-sensitively, as the old backend (and nginx's `location`s) did: a spelling the
 * per-IP limits or the cache fast lane do not recognise must not reach a handler either. Reads are limited to
 * 4 and writes to 4 per client IP, with the read cache on so that the fast lane answers repeated reads.
 */
describe('path spellings, the route-class limits and the fast lane', () => {
  let api: TestApi;
  let customer: RegisteredUser;
  let productId: number;

  beforeAll(async () => {
    api = await startTestApi({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_READS: '4/60', RATE_LIMIT_WRITES: '4/60', TRUST_PROXY: 'loopback', CATALOG_CACHE_TTL: '300' });
    customer = await registerUser(api);
    const category = await insertCategory(api, { name: 'Spelling', slug: 'spelling' });
    productId = (await insertProduct(api, { title: 'Spelled', slug: 'spelled', category_id: category.id })).id;
  });
  afterAll(() => api.close());

  /** Reads go anonymous (the fast lane serves only those), writes as the customer. */
  const send = (method: 'get' | 'post' | 'patch', path: string, ip: string) => {
    const call = request(api.app)[method](path).set('Host', 'shop.test').set('X-Forwarded-For', ip);
    return method === 'get' ? call : call.set(bearer(customer.access)).send({});
  };

  it.each([
    ['get', '/API/v1/categories/'],
    ['get', '/Api/V1/categories/'],
    ['get', '/api/V1/categories/'],
    ['get', '/api/v1/Categories/'],
    ['get', '/api/v1/PRODUCTS/'],
    ['get', '/API/v1/schema/'],
    ['get', '/api/v1/HEALTH/'],
    ['get', '/HEALTH/'],
    ['get', '/MEDIA/x.png'],
    ['post', '/API/v1/auth/login/'],
    ['post', '/api/v1/Users/login/'],
    ['patch', '/Api/V1/cart/increase/1/'],
  ] as const)('When %s %s differs from a route only in letter case, then JSON 404 as on the old backend', async (method, path) => {
    const response = await request(api.app)[method](path).set('Host', 'shop.test').set('X-Forwarded-For', clientIp());
    expect([path, response.status, response.body]).toEqual([path, 404, NOT_FOUND]);
  });

  /** Every other way of writing a read path: none may answer from a handler once the budget is spent. */
  const readSpellings = (id: number) => [
    '/api/v1/categories',
    '/api/v1/categories/?',
    `/api/v1/products/${String(id).replace(/\d/g, (digit) => `%3${digit}`)}/`,
    '/API/v1/categories/',
    '/api/V1/categories/',
    '/api/v1//categories/',
    '//api/v1/categories/',
    '/api/v1/categories//',
    '/api/v1/categories%2F',
    '/api%2Fv1/categories/',
    '/api%2fv1/categories/',
    '/api/v1/categories./',
    '/api/v1/categories/.',
    '/api/v1/./categories/',
    '/api/v1/x/../categories/',
    '/api/v1/%63ategories/',
    '/api/v1/categ%6Fries/',
    '/%61pi/v1/categories/',
    '/api/v1/categories;x/',
    '/api/v1/categories%00/',
    '/api/v1/health/../categories/',
  ];

  it('When the reads budget is spent through the fast lane, then every other spelling is refused (429) or names no route (404)', async () => {
    const ip = clientIp();
    for (let index = 0; index < 4; index += 1) expect((await send('get', '/api/v1/categories/', ip)).status).toBe(200);
    expect(api.runtime.fastLane?.served).toBeGreaterThan(0);
    for (const path of readSpellings(productId)) {
      const response = await send('get', path, ip);
      const outcome = response.status === 404 ? response.body : response.status;
      expect([path, outcome]).toEqual([path, response.status === 429 ? 429 : NOT_FOUND]);
    }
    // The spellings that do name a route were counted and refused, not answered.
    const named = ['/api/v1/categories', '/api/v1/categories/?', '/api/v1/categories/.', `/api/v1/products/${String(productId).replace(/\d/g, (digit) => `%3${digit}`)}/`];
    for (const path of named) expect([path, (await send('get', path, ip)).status]).toEqual([path, 429]);
  });

  it('When the writes budget is spent, then case variants and other spellings of a write reach no handler', async () => {
    const ip = clientIp();
    for (let index = 0; index < 4; index += 1) expect((await send('patch', '/api/v1/cart/increase/999999/', ip)).status).toBe(404);
    expect((await send('patch', '/api/v1/cart/increase/999999/', ip)).status).toBe(429);
    const spellings = [
      '/api/v1/cart/increase/999999',
      '/Api/V1/cart/increase/999999/',
      '/api/v1/CART/increase/999999/',
      '/api/v1/cart//increase/999999/',
      '/api/v1/cart/increase%2F999999/',
      '/api/v1/cart/%69ncrease/999999/',
      '/api/v1/cart/increase./999999/',
    ];
    for (const path of spellings) {
      const response = await send('patch', path, ip);
      expect([path, response.status === 429 ? 429 : response.body]).toEqual([path, response.status === 429 ? 429 : NOT_FOUND]);
    }
    expect((await send('post', '/API/v1/auth/login/', clientIp())).body).toEqual(NOT_FOUND);
  });
});
