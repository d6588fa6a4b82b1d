import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { parsePrometheusText, type Sample } from '../../../cli/services/prometheus-text';
import { TEST_CARDS } from '../../../api/modules/orders';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff } from '../../support/catalog';
import { bearer, registerUser } from '../../support/users';
import { payment, placeOrder, UNPAID_LIMIT_LIFTED } from '../orders/order-helpers';
import { reportReview, writeReview } from '../reviews/review-helpers';

const TOKEN = randomBytes(24).toString('hex');

/** What `/metrics` says now, as samples. */
async function scrape(api: TestApi): Promise<Sample[]> {
  const response = await request(api.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(response.text);
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, expected]) => sample.labels[key] === expected));
  return found.length === 0 ? undefined : found.reduce((sum, sample) => sum + sample.value, 0);
}

const requests = (samples: Sample[], labels: Record<string, string>) => value(samples, 'nexus_http_requests_total', labels) ?? 0;

describe('metrics on the API port, behind METRICS_TOKEN', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ METRICS_TOKEN: TOKEN, CATALOG_CACHE_TTL: '60', RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_LOGIN: '2/300', ...UNPAID_LIMIT_LIFTED });
  });
  afterAll(() => api.close());

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer ${TOKEN.slice(1)}x`],
    ['the token without Bearer', TOKEN],
    ['a Basic credential', `Basic ${Buffer.from(`metrics:${TOKEN}`).toString('base64')}`],
  ])('When a scrape carries %s, then 401 with WWW-Authenticate and no metric in the body', async (_label, authorization) => {
    const call = request(api.app).get('/metrics');
    const response = await (authorization === undefined ? call : call.set('Authorization', authorization));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(response.text).not.toContain('nexus_');
  });

  it('When a scrape uses another method, then 405 with Allow', async () => {
    const response = await request(api.app).post('/metrics').set('Authorization', `Bearer ${TOKEN}`).send({});
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('When a known sequence of requests is made, then the counters by route template and status class move by exactly that, and the histogram agrees', async () => {
    const category = await insertCategory(api, { name: 'Metered', slug: 'metered' });
    const product = await insertProduct(api, { title: 'Metered lamp', category_id: category.id, price: '10.00', stock_quantity: 5 });
    const before = await scrape(api);
    const list = { method: 'GET', route: '/api/v1/products/', status_class: '2xx' };
    const detail = { method: 'GET', route: '/api/v1/products/:ref/' };

    // A miss, then two hits the fast lane answers without routing: all three under the list's template. One Host
    // throughout, since the cache keys on the origin and each supertest call listens on a port of its own.
    const get = (path: string) => request(api.app).get(path).set('Host', 'shop.example.com');
    for (let index = 0; index < 3; index += 1) expect((await get('/api/v1/products/')).status).toBe(200);
    expect((await get(`/api/v1/products/${product.id}/`)).status).toBe(200);
    expect((await request(api.app).get('/api/v1/products/987654321/')).status).toBe(404);
    expect((await request(api.app).get('/api/v1/products/not-a-slug-at-all-%00/')).status).toBe(404);
    expect((await request(api.app).get('/no/such/path/')).status).toBe(404);
    expect((await request(api.app).post('/api/v1/cart/add/').set('Content-Type', 'application/json').send('{"broken":')).status).toBe(400);
    expect((await request(api.app).delete('/api/v1/products/')).status).toBe(405);

    const after = await scrape(api);
    const moved = (labels: Record<string, string>) => requests(after, labels) - requests(before, labels);
    expect(moved(list)).toBe(3);
    expect(moved({ ...detail, status_class: '2xx' })).toBe(1);
    expect(moved({ ...detail, status_class: '4xx' })).toBe(2);
    expect(moved({ method: 'GET', route: 'unmatched', status_class: '4xx' })).toBe(1);
    expect(moved({ method: 'POST', route: 'unmatched', status_class: '4xx' })).toBe(1);
    expect(moved({ method: 'DELETE', route: '/api/v1/products/', status_class: '4xx' })).toBe(1);
    // The raw URLs never became labels.
    expect(after.some((sample) => Object.values(sample.labels).some((label) => /987654321|no\/such|not-a-slug/.test(label)))).toBe(false);

    // Histogram: each series' +Inf bucket equals its count, buckets never decrease, and the count equals the requests counted.
    const buckets = after.filter((sample) => sample.name === 'nexus_http_request_duration_seconds_bucket' && sample.labels.route === '/api/v1/products/' && sample.labels.method === 'GET');
    const bounds = buckets.map((sample) => sample.value);
    expect(bounds).toEqual([...bounds].sort((a, b) => a - b));
    const count = value(after, 'nexus_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/products/' });
    expect(buckets.find((sample) => sample.labels.le === '+Inf')?.value).toBe(count);
    expect(count).toBe(requests(after, { method: 'GET', route: '/api/v1/products/' }));
    expect(value(after, 'nexus_http_request_duration_seconds_sum', { method: 'GET', route: '/api/v1/products/' })).toBeGreaterThan(0);

    // The read cache: one miss and two hits for the list; the detail page was a miss.
    const cache = (outcome: string) => (value(after, 'nexus_cache_requests_total', { outcome }) ?? 0) - (value(before, 'nexus_cache_requests_total', { outcome }) ?? 0);
    expect([cache('hit'), cache('miss'), cache('bypass')]).toEqual([2, 2, 0]);
  });

  it('When the shop sells, declines, refuses stock, cancels and is reported to, then its counters say so, and revenue is the paid total', async () => {
    const category = await insertCategory(api, { name: 'Till', slug: 'till' });
    const lamp = await insertProduct(api, { title: 'Counted lamp', category_id: category.id, price: '12.50', stock_quantity: 4 });
    const customer = await registerUser(api);
    const before = await scrape(api);

    const paid = await placeOrder(api, customer, { items: [{ product_id: lamp.id, quantity: 2 }] });
    const pay = (orderId: number, card: string) =>
      request(api.app).post(payment(orderId)).set(bearer(customer.access)).send({ payment_method: 'card', payment_details: { card_number: card } });
    expect((await pay(paid.id, TEST_CARDS.declined)).status).toBe(402);
    expect((await pay(paid.id, TEST_CARDS.success)).status).toBe(200);
    const refused = await request(api.app).post('/api/v1/orders/create/').set(bearer(customer.access)).send({ items: [{ product_id: lamp.id, quantity: 3 }] });
    expect(refused.status).toBe(409);
    const cancelled = await placeOrder(api, customer, { items: [{ product_id: lamp.id, quantity: 1 }] });
    expect((await request(api.app).post(`/api/v1/orders/${cancelled.id}/cancel/`).set(bearer(customer.access)).send({})).status).toBe(200);
    const review = await writeReview(api, customer, lamp.id, 2, 'Too dim.');
    await reportReview(api, await registerUser(api), review.id);

    const after = await scrape(api);
    const moved = (name: string, labels: Record<string, string> = {}) => (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);
    expect(moved('nexus_orders_total', { event: 'placed' })).toBe(2);
    expect(moved('nexus_orders_total', { event: 'paid' })).toBe(1);
    expect(moved('nexus_orders_total', { event: 'cancelled' })).toBe(1);
    expect(moved('nexus_orders_total', { event: 'expired' })).toBe(0);
    expect(moved('nexus_payment_attempts_total', { outcome: 'declined' })).toBe(1);
    expect(moved('nexus_payment_attempts_total', { outcome: 'succeeded' })).toBe(1);
    expect(moved('nexus_revenue_total', { currency: 'USD' })).toBeCloseTo(25, 6);
    expect(moved('nexus_stock_refusals_total')).toBe(1);
    expect(moved('nexus_review_reports_total')).toBe(1);
  });

  it('When a rate limit refuses, when staff write the catalogue, then refusals by limiter and cache invalidations are counted', async () => {
    const before = await scrape(api);
    const login = () => request(api.app).post('/api/v1/auth/login/').send({ email: 'nobody@example.com', password: 'wrong-password-1' });
    const statuses = [];
    for (let index = 0; index < 3; index += 1) statuses.push((await login()).status);
    expect(statuses).toEqual([401, 401, 429]);
    const staff = await registerStaff(api);
    const created = await request(api.app).post('/api/v1/categories/').set(bearer(staff.access)).send({ name: 'Invalidating', slug: 'invalidating' });
    expect(created.status).toBe(201);

    const after = await scrape(api);
    const moved = (name: string, labels: Record<string, string> = {}) => (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);
    expect(moved('nexus_rate_limit_refusals_total', { limiter: 'login' })).toBe(1);
    expect(moved('nexus_cache_invalidations_total')).toBeGreaterThanOrEqual(1);
    expect(requests(after, { method: 'POST', route: '/api/v1/auth/login/', status_class: '4xx' }) - requests(before, { method: 'POST', route: '/api/v1/auth/login/', status_class: '4xx' })).toBe(3);
  });

  it('When a fuzzer sends hundreds of random paths, methods and ids, then the label set stays bounded', async () => {
    const seriesBefore = new Set((await scrape(api)).filter((sample) => sample.name === 'nexus_http_requests_total').map((sample) => JSON.stringify(sample.labels)));
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'SEARCH', 'MKCOL'];
    const random = () => randomBytes(6).toString('base64url');
    const paths = [
      () => `/${random()}/${random()}`,
      () => `/api/v1/products/${Math.floor(Math.random() * 1e9)}/`,
      () => `/api/v1/products/${random()}/`,
      () => `/api/v1/${random()}/`,
      () => `/api/v1/reviews/${Math.floor(Math.random() * 1e6)}/report/`,
      () => `/media/products/${random()}.png`,
      () => `/admin/${random()}/`,
      () => `/api/v1/products/?search=${random()}&page=${Math.floor(Math.random() * 50)}`,
    ];
    // supertest has a function for every verb node:http knows, WebDAV's included; its types name only the common ones.
    const agent = request(api.app) as unknown as Record<string, (path: string) => request.Test>;
    for (let index = 0; index < 400; index += 1) {
      const method = (methods[index % methods.length] as string).toLowerCase();
      const path = (paths[(index * 7) % paths.length] as () => string)();
      await (agent[method] as (path: string) => request.Test)(path);
    }
    const seriesAfter = new Set((await scrape(api)).filter((sample) => sample.name === 'nexus_http_requests_total').map((sample) => JSON.stringify(sample.labels)));
    const added = [...seriesAfter].filter((series) => !seriesBefore.has(series));
    // At most: the templates these paths can match (a handful) × methods × status classes; never one per path.
    expect(added.length).toBeLessThan(30);
    const routes = new Set([...seriesAfter].map((series) => (JSON.parse(series) as Record<string, string>).route));
    for (const route of routes) expect(route).toMatch(/^(unmatched|\/metrics|\/admin\/\*|\/media\/\*|\/api\/v1\/[a-z/:_-]*)$/);
  });
});

describe('metrics switched off (no METRICS_TOKEN, no METRICS_PORT)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('When /metrics is asked for, with or without a token, then 404 like any unknown path', async () => {
    expect((await request(api.app).get('/metrics')).status).toBe(404);
    expect((await request(api.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(404);
  });
});
