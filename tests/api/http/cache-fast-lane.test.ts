import express from 'express';
import request from 'supertest';
import { withCacheFastLane } from '../../../api/http/cache-fast-lane';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProducts } from '../../support/catalog';

describe('cache fast lane (unit)', () => {
  const reachedApp: string[] = [];
  const app = express();
  app.use((req, res) => {
    reachedApp.push(`${req.method} ${req.url}`);
    res.json({ from: 'app' });
  });
  const lane = withCacheFastLane(app, {
    front: [(_req, res, next) => (res.setHeader('X-Front', 'yes'), next())],
    guards: [(req, _res, next) => (req.hostname === 'blocked.test' ? next(new Error('host')) : next())],
    lookup: async (req) => (req.originalUrl === '/api/v1/products/' ? { etag: 'W/"2-abc"', body: Buffer.from('{"from":"cache"}') } : undefined),
  });

  beforeEach(() => reachedApp.splice(0));

  it('When an anonymous GET has a cache entry, then it is answered without the app, through the front middleware', async () => {
    const response = await request(lane).get('/api/v1/products/');
    expect(response.body).toEqual({ from: 'cache' });
    expect(response.headers).toMatchObject({ 'x-cache': 'HIT', 'x-front': 'yes', etag: 'W/"2-abc"' });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(reachedApp).toEqual([]);
  });

  it('When the client already has the entry (If-None-Match), then 304 without a body', async () => {
    const response = await request(lane).get('/api/v1/products/').set('If-None-Match', 'W/"2-abc"');
    expect(response.status).toBe(304);
    expect(response.text).toBe('');
  });

  it('When HEAD is asked, then headers come without a body', async () => {
    const response = await request(lane).head('/api/v1/products/');
    expect(response.status).toBe(200);
    expect(response.headers['x-cache']).toBe('HIT');
    expect(response.text).toBeUndefined();
  });

  it.each([
    ['a miss', (r: request.Test) => r, '/api/v1/other/'],
    ['credentials', (r: request.Test) => r.set('Authorization', 'Bearer x'), '/api/v1/products/'],
    ['a non-JSON Accept', (r: request.Test) => r.set('Accept', 'text/html'), '/api/v1/products/'],
    ['a refused host', (r: request.Test) => r.set('Host', 'blocked.test'), '/api/v1/products/'],
    ['a path outside the API', (r: request.Test) => r, '/health/'],
  ])('When the request has %s, then the app answers it', async (_case, decorate, path) => {
    const response = await decorate(request(lane).get(path));
    expect(response.body).toEqual({ from: 'app' });
    expect(reachedApp).toHaveLength(1);
  });

  it('When the method writes, then the app answers it', async () => {
    await request(lane).post('/api/v1/products/').send({});
    expect(reachedApp).toEqual(['POST /api/v1/products/']);
  });
});

describe('cache fast lane (with the real app)', () => {
  let api: TestApi;
  const url = '/api/v1/products/?ordering=price';

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '300', CORS_ORIGINS: 'https://shop.example.com' });
    const category = await insertCategory(api, { name: 'Lane', slug: 'lane' });
    await insertProducts(api, [{ title: 'One', category_id: category.id }, { title: 'Two', category_id: category.id, price: '3.00' }]);
  });
  afterAll(() => api.close());

  it('When a hit is served by the lane or by the router, then status, body and headers are the same', async () => {
    const viaLane = () => request(api.app).get(url).set('Host', 'shop.test').set('Origin', 'https://shop.example.com');
    const viaRouter = () => request(api.runtime.app).get(url).set('Host', 'shop.test').set('Origin', 'https://shop.example.com');
    expect((await viaLane()).headers['x-cache']).toBe('MISS');
    const served = api.runtime.fastLane?.served ?? 0;
    const [lane, router] = [await viaLane(), await viaRouter()];
    expect(api.runtime.fastLane?.served).toBe(served + 1);
    expect([lane.headers['x-cache'], router.headers['x-cache']]).toEqual(['HIT', 'HIT']);
    expect(lane.status).toBe(router.status);
    expect(lane.text).toBe(router.text);
    const comparable = (headers: Record<string, string>) => {
      const { date: _date, 'x-request-id': requestId, ...rest } = headers;
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      return rest;
    };
    expect(comparable(lane.headers)).toEqual(comparable(router.headers));
    expect(lane.headers['access-control-allow-origin']).toBe('https://shop.example.com');
  });

  it('When the lane serves a hit, then the access log has its line with the request id', async () => {
    const served = api.runtime.fastLane?.served ?? 0;
    const response = await request(api.app).get(url).set('Host', 'shop.test').set('X-Request-ID', 'lane-check-1');
    expect(response.headers['x-cache']).toBe('HIT');
    expect(api.runtime.fastLane?.served).toBe(served + 1);
    expect(api.logs().some((line) => line.reqId === 'lane-check-1' && line.url === url && line.status === 200)).toBe(true);
  });
});
