import { Redis } from 'ioredis';
import request from 'supertest';
import { hasRedis, startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProducts } from '../../support/catalog';
import { describeWith, findBinary } from '../../support/components';
import { startRedisServer, type RunningRedis } from '../../support/redis-server';
import { bearer, registerUser } from '../../support/users';

/**
 * The read cache in its own Redis, bounded and evicting (as `redis-cache` in docker-compose.services.yml),
 * beside the Redis that holds the token deny-list and rate-limit counters: flooding the cache with distinct
 * large responses evicts cache entries only, every request still answers, and a revoked token stays revoked.
 */
describeWith('Redis', hasRedis && findBinary('redis-server') !== undefined, 'the read cache in a Redis of its own that evicts', () => {
  let cacheRedis: RunningRedis;
  let api: TestApi;
  let cacheClient: Redis;

  beforeAll(async () => {
    cacheRedis = (await startRedisServer(['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru'])) as RunningRedis;
    cacheClient = new Redis(cacheRedis.url);
    api = await startTestApi({ CATALOG_CACHE_TTL: '300', CACHE_REDIS_URL: cacheRedis.url });
    const category = await insertCategory(api, { name: 'Bulky', slug: 'bulky' });
    // Twenty products with long descriptions: each list page is ~100 KB, so a few dozen fill 2 MB.
    await insertProducts(api, Array.from({ length: 20 }, (_, index) => ({ title: `Bulky ${index}`, category_id: category.id, price: '5.00', description: 'd'.repeat(5_000) })));
  });
  afterAll(async () => {
    cacheClient?.disconnect();
    await api?.close();
    await cacheRedis?.stop();
  });

  const stateKeys = async () => (await api.runtime.redis?.keys(`${api.config.redis.keyPrefix}*`))?.length ?? 0;

  it('When distinct large responses overflow the cache Redis, then it evicts its own entries, every request answers, and a revoked token stays revoked', async () => {
    const user = await registerUser(api);
    expect((await request(api.app).post('/api/v1/auth/logout/').set(bearer(user.access)).send({ refresh_token: user.refresh })).status).toBe(205);
    const stateBefore = await stateKeys();
    expect(stateBefore).toBeGreaterThan(0);

    for (let index = 0; index < 60; index += 1) {
      const response = await request(api.app).get(`/api/v1/products/?min_price=0.${String(index).padStart(2, '0')}`).set('Host', 'shop.test');
      expect([index, response.status, response.headers['x-cache']]).toEqual([index, 200, 'MISS']);
    }
    const stats = await cacheClient.info('stats');
    expect(Number(/evicted_keys:(\d+)/.exec(stats)?.[1])).toBeGreaterThan(0);
    // Nothing of the flood reached the Redis that holds the deny-list.
    expect(await stateKeys()).toBe(stateBefore);

    const revoked = await request(api.app).get('/api/v1/auth/profile/').set(bearer(user.access));
    expect([revoked.status, revoked.body.code]).toEqual([401, 'token_not_valid']);
  });

  it('When a page was cached and staff change the catalogue, then the cache Redis is told (and the next read is fresh)', async () => {
    const path = '/api/v1/categories/';
    await request(api.app).get(path).set('Host', 'shop.test');
    expect((await request(api.app).get(path).set('Host', 'shop.test')).headers['x-cache']).toBe('HIT');
    const staff = await registerUser(api);
    await api.db('users').where({ id: staff.id }).update({ is_staff: true });
    expect((await request(api.app).post('/api/v1/categories/').set(bearer(staff.access)).send({ name: 'Second' })).status).toBe(201);
    const after = await request(api.app).get(path).set('Host', 'shop.test');
    expect([after.headers['x-cache'], after.body.count]).toEqual(['MISS', 2]);
  });
});
