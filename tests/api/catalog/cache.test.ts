import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { hasRedis, startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, NO_PRODUCT, pluck, registerStaff, type CategoryRecord, type ProductRecord } from '../../support/catalog';
import { describeWith } from '../../support/components';
import { bearer, type RegisteredUser } from '../../support/users';

/** The same read-cache behaviour, once against Redis and once against the in-process store. */
function cacheBehaviour(env: Record<string, string>): () => void {
  return () => {
    let api: TestApi;
    let staff: RegisteredUser;
    let category: CategoryRecord;
    let product: ProductRecord;
    const get = (path: string, host = 'shop.example.com') => request(api.app).get(`/api/v1${path}`).set('Host', host);
    const staffAuth = () => bearer(staff.access);

    beforeAll(async () => {
      // Only loopback proxies are trusted, so X-Forwarded-Proto from the test client counts.
      api = await startTestApi({ TRUST_PROXY: 'loopback', ...env });
      staff = await registerStaff(api);
      category = await insertCategory(api, { name: 'Cached', slug: 'cached' });
      product = await insertProduct(api, { title: 'Cached kettle', slug: 'cached-kettle', category_id: category.id, price: '20.00' });
    });
    afterAll(() => api.close());

    /** Reads each path twice, so the next read of each is a HIT unless something invalidated it. */
    async function warm(paths: string[]): Promise<void> {
      for (const path of paths) {
        await get(path);
        expect((await get(path)).headers['x-cache']).toBe('HIT');
      }
    }

    it('When the store backing the cache is checked, then it is the one under test', () => {
      expect(api.runtime.cacheStore.kind).toBe(env.REDIS_URL === '' ? 'memory' : 'redis');
    });

    it('When a public read repeats, then the first is a MISS and the second a HIT with the same body', async () => {
      const first = await get('/products/?ordering=title');
      expect(first.status).toBe(200);
      expect(first.headers['x-cache']).toBe('MISS');
      const second = await get('/products/?ordering=title');
      expect(second.status).toBe(200);
      expect(second.headers['x-cache']).toBe('HIT');
      expect(second.headers['content-type']).toMatch(/^application\/json/);
      expect(second.text).toBe(first.text);
    });

    it('When a staff PATCH changes the price, then the very next detail, list, search and category reads show it', async () => {
      const paths = [`/products/${product.id}/`, '/products/cached-kettle/', '/products/', '/products/search/?q=kettle', `/categories/${category.id}/products/`, '/products/latest/'];
      await warm(paths);
      const patched = await request(api.app).patch(`/api/v1/admin/products/${product.id}`).set(staffAuth()).send({ price: '25.50' });
      expect(patched.status).toBe(200);
      for (const path of paths) {
        const response = await get(path);
        expect(response.headers['x-cache']).toBe('MISS');
        const body = response.body.results ? response.body.results[0] : response.body;
        expect(body.price).toBe('25.50');
      }
    });

    it('When a category is renamed, then category reads and product category_name change at once', async () => {
      const paths = ['/categories/', `/categories/${category.id}/`, '/categories/cached/', `/products/${product.id}/`];
      await warm(paths);
      const renamed = await request(api.app).patch(`/api/v1/categories/${category.id}/`).set(staffAuth()).send({ name: 'Renamed' });
      expect(renamed.status).toBe(200);
      expect((await get('/categories/')).body.results[0].name).toBe('Renamed');
      expect((await get(`/categories/${category.id}/`)).body.name).toBe('Renamed');
      expect((await get('/categories/cached/')).body.name).toBe('Renamed');
      expect((await get(`/products/${product.id}/`)).body.category_name).toBe('Renamed');
    });

    it('When a product is created or deleted, then counts, lists and details follow at once', async () => {
      await warm(['/products/', `/categories/${category.id}/`, '/products/featured/']);
      const before = (await get('/products/')).body.count as number;
      const created = await request(api.app).post('/api/v1/products/').set(staffAuth()).send({ title: 'Fresh', price: '3', category: category.id });
      expect(created.status).toBe(201);
      expect((await get('/products/')).body.count).toBe(before + 1);
      expect((await get(`/categories/${category.id}/`)).body.products_count).toBe(before + 1);
      expect((await get('/products/featured/')).body.results[0].title).toBe('Fresh');
      await warm([`/products/${created.body.id}/`, '/products/']);
      expect((await request(api.app).delete(`/api/v1/admin/products/${created.body.id}`).set(staffAuth())).status).toBe(204);
      expect((await get(`/products/${created.body.id}/`)).body).toEqual(NO_PRODUCT);
      expect((await get('/products/')).body.count).toBe(before);
    });

    it('When the same path is read under another host or scheme, then entries are separate and links absolute to each', async () => {
      const holder = await insertProduct(api, { title: 'Image holder', category_id: category.id, image: 'products/pic.png', age: 10 });
      const origins = [
        ['c.example.com', 'http'],
        ['c.example.com', 'https'],
        ['d.example.com', 'http'],
      ] as const;
      const read = (host: string, proto: string) =>
        request(api.app).get('/api/v1/products/?ordering=-created_at').set('Host', host).set('X-Forwarded-Proto', proto);
      for (const round of ['MISS', 'HIT']) {
        for (const [host, proto] of origins) {
          const response = await read(host, proto);
          expect(response.headers['x-cache']).toBe(round);
          expect(response.body.results[0].image).toBe(`${proto}://${host}/media/products/pic.png`);
        }
      }
      expect((await request(api.app).delete(`/api/v1/admin/products/${holder.id}`).set(staffAuth())).status).toBe(204);
    });

    it('When the query asks for something else, then it is its own entry; when it only spells the same request differently, it is not', async () => {
      const second = await request(api.app).post('/api/v1/products/').set(staffAuth()).send({ title: 'Cheap', price: '1', category: category.id });
      expect(second.status).toBe(201);
      const variants = ['/products/?ordering=price', '/products/?ordering=-price'];
      for (const path of variants) expect((await get(path)).headers['x-cache']).toBe('MISS');
      for (const path of variants) expect((await get(path)).headers['x-cache']).toBe('HIT');
      for (const path of ['/products/?ordering=price&page=1', '/products/?page=1&ordering=price', '/products/?ordering=price&utm=x', '/products?ordering=price']) {
        expect([path, (await get(path)).headers['x-cache']]).toEqual([path, 'HIT']);
      }
      const ascending = (await get(variants[0] as string)).body.results[0].id;
      const descending = (await get(variants[1] as string)).body.results[0].id;
      expect(ascending).not.toBe(descending);
    });

    it('When a read fails with 404 or 400, then the error is not cached', async () => {
      const missing = await get('/products/later-product/');
      expect(missing.status).toBe(404);
      expect(missing.headers['x-cache']).toBeUndefined();
      const badCategory = await get('/products/?category=later-category');
      expect(badCategory.status).toBe(400);
      // A product written behind the API's back (no invalidation): only an uncached 404 lets it show up.
      await insertProduct(api, { title: 'Later product', slug: 'later-product', category_id: category.id });
      const found = await get('/products/later-product/');
      expect(found.status).toBe(200);
      expect(found.headers['x-cache']).toBe('MISS');
      // The category arrives through the API, as in real life; the earlier 400 is not what answers.
      const created = await request(api.app).post('/api/v1/categories/').set(staffAuth()).send({ name: 'Later', slug: 'later-category' });
      expect(created.status).toBe(201);
      await request(api.app).patch(`/api/v1/products/${found.body.id}/`).set(staffAuth()).send({ category: created.body.id });
      const filtered = await get('/products/?category=later-category');
      expect(filtered.status).toBe(200);
      expect(filtered.body.count).toBe(1);
    });

    it('When staff read through the staff router, then those reads are never cached', async () => {
      const response = await request(api.app).get('/api/v1/admin/products').set(staffAuth());
      expect(response.status).toBe(200);
      expect(response.headers['x-cache']).toBeUndefined();
    });
  };
}

describeWith('Redis', hasRedis, 'catalogue read cache on Redis', cacheBehaviour({}));

describe('catalogue read cache on the in-process store', cacheBehaviour({ REDIS_URL: '' }));

describe('catalogue read cache switched off', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    const category = await insertCategory(api, { name: 'Uncached', slug: 'uncached' });
    await insertProduct(api, { title: 'Uncached', slug: 'uncached-product', category_id: category.id });
  });
  afterAll(() => api.close());

  it('When CATALOG_CACHE_TTL is 0, then every public read says BYPASS and sees the database', async () => {
    for (const path of ['/products/', '/products/uncached-product/', '/categories/', '/products/search/?q=uncached']) {
      expect((await request(api.app).get(`/api/v1${path}`)).headers['x-cache']).toBe('BYPASS');
      expect((await request(api.app).get(`/api/v1${path}`)).headers['x-cache']).toBe('BYPASS');
    }
    await api.db('products').update({ price: '77.00' });
    expect((await request(api.app).get('/api/v1/products/uncached-product/')).body.price).toBe('77.00');
  });
});

describeWith('Redis', hasRedis, 'catalogue read cache shared by two API instances', () => {
  let first: TestApi;
  let second: TestApi;
  let staff: RegisteredUser;
  let product: ProductRecord;

  beforeAll(async () => {
    const shared = { REDIS_KEY_PREFIX: `test:shared:${randomBytes(4).toString('hex')}:`, JWT_SECRET: randomBytes(48).toString('base64') };
    first = await startTestApi(shared);
    second = await startTestApi({ ...shared, DATABASE_URL: first.database.url });
    staff = await registerStaff(first);
    const category = await insertCategory(first, { name: 'Shared', slug: 'shared' });
    product = await insertProduct(first, { title: 'Shared lamp', slug: 'shared-lamp', category_id: category.id, price: '40.00' });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('When instance A writes, then what instance B cached is invalidated before A answers', async () => {
    const read = (api: TestApi) => request(api.app).get(`/api/v1/products/${product.id}/`).set('Host', 'shop.example.com');
    expect((await read(second)).headers['x-cache']).toBe('MISS');
    expect((await read(second)).headers['x-cache']).toBe('HIT');
    // Both instances share entries: A finds what B stored.
    expect((await read(first)).headers['x-cache']).toBe('HIT');
    const patched = await request(first.app).patch(`/api/v1/admin/products/${product.id}`).set(bearer(staff.access)).send({ price: '45.00' });
    expect(patched.status).toBe(200);
    const after = await read(second);
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.body.price).toBe('45.00');
  });

  it('When instance B writes a category, then instance A drops its cached category list', async () => {
    const list = (api: TestApi) => request(api.app).get('/api/v1/categories/').set('Host', 'shop.example.com');
    await list(first);
    expect((await list(first)).headers['x-cache']).toBe('HIT');
    const created = await request(second.app).post('/api/v1/admin/categories').set(bearer(staff.access)).send({ name: 'Second shelf' });
    expect(created.status).toBe(201);
    const after = await list(first);
    expect(after.headers['x-cache']).toBe('MISS');
    expect(pluck(after, 'name')).toContain('Second shelf');
  });
});
