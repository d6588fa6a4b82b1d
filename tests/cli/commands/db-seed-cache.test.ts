import request from 'supertest';
import { hasRedis, startTestApi, type TestApi } from '../../support/api';
import { runNexus } from '../../support/cli';
import { describeWith } from '../../support/components';

describeWith('Redis', hasRedis, 'nexus db seed and a running API', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '300' });
  });
  afterAll(() => api.close());

  // supertest listens on a new port per request; a fixed Host keeps one cache key.
  const products = () => request(api.app).get('/api/v1/products/').set('Host', 'shop.test');

  it('When seeding adds products behind the API, then the API drops its cached catalogue at once', async () => {
    const before = await products();
    expect(before.body.count).toBe(0);
    expect((await products()).headers['x-cache']).toBe('HIT');

    const seeded = await runNexus(['db', 'seed', '--users', '0', '--products', '30', '--seed', '3', '--json'], {
      env: { DATABASE_URL: api.database.url, REDIS_URL: api.config.redis.url, REDIS_KEY_PREFIX: api.config.redis.keyPrefix },
    });
    expect(seeded.code).toBe(0);
    expect(seeded.stderr).toContain('drop their cached catalogue');

    const after = await products();
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.body.count).toBe(30);
  });
});
