import request from 'supertest';
import { hasRedis, startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProducts, registerStaff, type ProductRecord } from '../../support/catalog';
import { describeWith } from '../../support/components';
import { bearer, type RegisteredUser } from '../../support/users';

/**
 * The read cache keys on the request as the API understood it, not on its raw spelling: junk parameters,
 * parameter order, ignored values and the spelling of the Host make no new Redis entries, keys are bounded in
 * length, and losing the generation keys to eviction never brings a stale response back.
 */
describeWith('Redis', hasRedis, 'read-cache keys in Redis', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let products: ProductRecord[];

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '300', TRUST_PROXY: 'loopback' });
    staff = await registerStaff(api);
    const category = await insertCategory(api, { name: 'Keyed', slug: 'keyed' });
    products = await insertProducts(
      api,
      Array.from({ length: 25 }, (_, index) => ({ title: `Keyed ${index}`, category_id: category.id, price: `${index + 1}.00` })),
    );
  });
  afterAll(() => api.close());

  /** Every key the API has under its prefix, cache entries and generations included. */
  async function redisKeys(pattern = '*'): Promise<string[]> {
    const redis = api.runtime.redis;
    if (!redis) throw new Error('the API runs without Redis');
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${api.config.redis.keyPrefix}${pattern}`, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  }

  const get = (path: string, host = 'shop.example.com') => request(api.app).get(path).set('Host', host);

  it('When 300 reads differ only by 7 KB junk parameters, parameter order and the spelling of the Host, then they share one entry', async () => {
    await get('/api/v1/products/?category=keyed&ordering=price');
    expect((await get('/api/v1/products/?category=keyed&ordering=price')).headers['x-cache']).toBe('HIT');
    const before = (await redisKeys()).length;
    const hosts = ['shop.example.com', 'SHOP.Example.com', 'shop.example.com.', 'shop.example.com:80'];
    for (let index = 0; index < 300; index += 1) {
      const junk = `junk${index}=${String(index).padStart(7_000, 'x')}`;
      const path = index % 2 === 0 ? `/api/v1/products/?${junk}&ordering=price&category=keyed` : `/api/v1/products?category=keyed&page=1&ordering=price&${junk}`;
      const response = await get(path, hosts[index % hosts.length]);
      expect([index, response.status, response.headers['x-cache']]).toEqual([index, 200, 'HIT']);
    }
    expect((await redisKeys()).length).toBe(before);
  });

  it('When a known parameter carries a value the endpoint ignores (an unknown ordering), then it is the default request', async () => {
    await get('/api/v1/products/?category=keyed');
    const before = (await redisKeys()).length;
    for (let index = 0; index < 20; index += 1) {
      const response = await get(`/api/v1/products/?category=keyed&ordering=nonsense${index}`);
      expect([index, response.headers['x-cache']]).toEqual([index, 'HIT']);
    }
    expect((await redisKeys()).length).toBe(before);
  });

  it('When links are built, then they are the canonical URL: lower-case host, the parameters read, sorted, junk dropped', async () => {
    const response = await get('/api/v1/products/?utm_source=mail&ordering=price&category=keyed&page=1', 'Shop.Example.COM.');
    expect(response.body.next).toBe('http://shop.example.com/api/v1/products/?category=keyed&ordering=price&page=2');
    const second = await get('/api/v1/products/?page=2&ordering=price&category=keyed');
    expect(second.body.previous).toBe('http://shop.example.com/api/v1/products/?category=keyed&ordering=price');
  });

  it('When the first reader of a page spells the host oddly, then the cached image URLs still carry the canonical host', async () => {
    const category = await insertCategory(api, { name: 'Pictured', slug: 'pictured' });
    const [pictured] = await insertProducts(api, [{ title: 'Pictured', category_id: category.id, image: 'products/pic.png' }]);
    const path = `/api/v1/products/${(pictured as ProductRecord).id}/`;
    expect((await get(path, 'SHOP.example.com.:80')).body.image).toBe('http://shop.example.com/media/products/pic.png');
    const hit = await get(path);
    expect([hit.headers['x-cache'], hit.body.image]).toEqual(['HIT', 'http://shop.example.com/media/products/pic.png']);
  });

  it('When the canonical key would be longer than the bound, then the answer is computed and not stored (BYPASS)', async () => {
    const before = (await redisKeys()).length;
    const path = `/api/v1/products/?search=${encodeURIComponent('€'.repeat(150))}`;
    for (const round of [1, 2]) {
      const response = await get(path);
      expect([round, response.status, response.headers['x-cache']]).toEqual([round, 200, 'BYPASS']);
    }
    expect((await redisKeys()).length).toBe(before);
  });

  it('When the cache Redis evicts the generation keys after a staff write, then the stale entry does not come back', async () => {
    const [product] = products as [ProductRecord];
    const path = `/api/v1/products/${product.id}/`;
    await get(path);
    expect((await get(path)).headers['x-cache']).toBe('HIT');
    const patched = await request(api.app).patch(`/api/v1/admin/products/${product.id}`).set(bearer(staff.access)).send({ price: '77.70' });
    expect(patched.status).toBe(200);
    // What `allkeys-lru` may do under memory pressure: drop the (rarely written) generation keys.
    const generations = await redisKeys('*gen*');
    expect(generations.length).toBeGreaterThan(0);
    await api.runtime.redis?.del(...generations);
    const after = await get(path);
    expect([after.headers['x-cache'], after.body.price]).toEqual(['MISS', '77.70']);
    expect((await get(path)).headers['x-cache']).toBe('HIT');
  });

  it('When entries are stored, then they expire with the TTL like before', async () => {
    const entries = await redisKeys('cache:entry:*');
    expect(entries.length).toBeGreaterThan(0);
    for (const key of entries.slice(0, 5)) {
      const ttl = await api.runtime.redis?.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
    }
  });
});
