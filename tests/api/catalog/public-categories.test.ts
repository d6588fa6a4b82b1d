import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import {
  CATEGORY_KEYS,
  countQueries,
  INVALID_PAGE,
  insertCategories,
  insertCategory,
  insertProducts,
  manyProducts,
  NO_CATEGORY,
  pluck,
  titles,
  type CategoryRecord,
} from '../../support/catalog';

const HOST = 'shop.example.com';
const BASE = `http://${HOST}/api/v1`;

/** The read cache is off here: these tests write rows straight into the database, which never invalidates it. */
const NO_CACHE = { CATALOG_CACHE_TTL: '0' };
describe('public category reads', () => {
  let api: TestApi;
  let electronics: CategoryRecord;
  let phones: CategoryRecord;
  let audio: CategoryRecord;
  const get = (path: string) => request(api.app).get(`/api/v1${path}`).set('Host', HOST);

  beforeAll(async () => {
    api = await startTestApi(NO_CACHE);
    electronics = await insertCategory(api, { name: 'Electronics', slug: 'electronics', description: 'Things with plugs' });
    [phones, audio] = (await insertCategories(api, [
      { name: 'phones', slug: 'phones', parent_id: electronics.id },
      { name: 'Audio', slug: 'audio', parent_id: electronics.id },
    ])) as [CategoryRecord, CategoryRecord];
    await insertCategory(api, { name: 'Garden', slug: 'garden' });
    await insertProducts(api, [
      ...manyProducts(phones.id, 22),
      { title: 'Radio', category_id: electronics.id, age: 100 },
      { title: 'Speaker', category_id: audio.id, age: 101 },
      { title: 'Old speaker', category_id: audio.id, is_active: false, age: 102 },
    ]);
  });
  afterAll(() => api.close());

  it('When categories are listed, then they come by name with subtree counts of active products', async () => {
    const response = await get('/categories/');
    expect(response.status).toBe(200);
    expect(response.body.count).toBe(4);
    expect(pluck(response, 'name')).toEqual(['Audio', 'Electronics', 'Garden', 'phones']);
    expect(Object.keys(response.body.results[0])).toEqual(CATEGORY_KEYS);
    const counts = Object.fromEntries((response.body.results as { slug: string; products_count: number }[]).map((item) => [item.slug, item.products_count]));
    expect(counts).toEqual({ audio: 1, electronics: 24, garden: 0, phones: 22 });
  });

  it('When a category is fetched by id or slug, then the same object comes back', async () => {
    const [byId, bySlug] = await Promise.all([get(`/categories/${electronics.id}/`), get('/categories/electronics/')]);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual({ id: electronics.id, name: 'Electronics', slug: 'electronics', description: 'Things with plugs', products_count: 24, parent: null });
    expect(bySlug.body).toEqual(byId.body);
  });

  it.each(['/categories/999999/', '/categories/nothing-here/', '/categories/999999/products/', '/categories/nothing-here/products/'])(
    'When %s names no category, then 404 No Category matches the given query. (the old products list answered an empty 200)',
    async (path) => {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NO_CATEGORY);
    },
  );

  it('When a category\'s products are listed by id or slug, then subcategories are included, oldest first, paginated', async () => {
    for (const ref of [String(electronics.id), 'electronics']) {
      const first = await get(`/categories/${ref}/products/`);
      expect(first.status).toBe(200);
      expect(first.body.count).toBe(24);
      expect(first.body.results).toHaveLength(20);
      expect(titles(first)[0]).toBe('Item 000');
      expect(first.body.next).toBe(`${BASE}/categories/${ref}/products/?page=2`);
      const second = await get(`/categories/${ref}/products/?page=2`);
      expect(titles(second)).toEqual(['Item 020', 'Item 021', 'Radio', 'Speaker']);
      expect((await get(`/categories/${ref}/products/?page=3`)).body).toEqual(INVALID_PAGE);
    }
  });

  it('When a category\'s products are ordered, then the ordering applies', async () => {
    const response = await get(`/categories/${audio.id}/products/?ordering=-title`);
    expect(titles(response)).toEqual(['Speaker']);
    const all = await get(`/categories/electronics/products/?ordering=-created_at`);
    expect(titles(all).slice(0, 2)).toEqual(['Speaker', 'Radio']);
  });
});

describe('public product list query count', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(NO_CACHE);
    const single = await insertCategory(api, { name: 'Single', slug: 'single' });
    const crowd = await insertCategory(api, { name: 'Crowd', slug: 'crowd' });
    // 30 categories with one product each, under one parent, so a page of 20 spans 20 categories.
    const parent = await insertCategory(api, { name: 'Parent', slug: 'parent' });
    const children = await insertCategories(api, Array.from({ length: 30 }, (_, index) => ({ name: `Child ${index}`, parent_id: parent.id })));
    await insertProducts(api, [
      { title: 'Lonely', category_id: single.id, price: '5.00' },
      ...manyProducts(crowd.id, 21, () => ({ price: '5.00' })),
      ...children.map((child, index) => ({ title: `Spread ${index}`, category_id: child.id, price: '5.00', age: 100 + index })),
    ]);
  });
  afterAll(() => api.close());

  async function queriesFor(path: string, expectedResults: number): Promise<number> {
    let response: request.Response | undefined;
    const { count } = await countQueries(api, async () => {
      response = await request(api.app).get(`/api/v1${path}`);
    });
    expect(response?.status).toBe(200);
    expect(response?.body.results).toHaveLength(expectedResults);
    return count;
  }

  it('When there are more than 20 categories, then the category list paginates like the products', async () => {
    const first = await request(api.app).get('/api/v1/categories/').set('Host', HOST);
    expect(first.body.count).toBe(33);
    expect(first.body.results).toHaveLength(20);
    expect(first.body.next).toBe(`${BASE}/categories/?page=2`);
    const last = await request(api.app).get('/api/v1/categories/?page=last');
    expect(pluck(last, 'name')).toHaveLength(13);
    expect((await request(api.app).get('/api/v1/categories/?page=3')).body).toEqual(INVALID_PAGE);
  });

  it('When a page holds 1 or 20 products, then the same number of SQL queries runs', async () => {
    const one = await queriesFor('/products/?category=single', 1);
    const twenty = await queriesFor('/products/?category=crowd', 20);
    const lastPage = await queriesFor('/products/?category=crowd&page=2', 1);
    expect(twenty).toBe(one);
    expect(lastPage).toBe(one);
    expect(one).toBeLessThanOrEqual(3);
  });

  it('When a page spans 20 categories, then it still runs the same number of queries', async () => {
    const spread = await queriesFor('/products/?category=parent', 20);
    const one = await queriesFor('/products/?category=single', 1);
    expect(spread).toBe(one);
  });

  it('When filters other than category apply, then the count is one extra query, whatever the page size', async () => {
    const one = await queriesFor('/products/?category=single&max_price=10', 1);
    const twenty = await queriesFor('/products/?category=parent&max_price=10', 20);
    expect(twenty).toBe(one);
    expect(one).toBeLessThanOrEqual(3);
  });

  it('When search, featured, latest or a category page is listed, then the count does not depend on the page size', async () => {
    const searchOne = await queriesFor('/products/search/?q=lonely', 1);
    const searchMany = await queriesFor('/products/search/?q=spread', 20);
    expect(searchMany).toBe(searchOne);
    expect(await queriesFor('/products/featured/', 10)).toBeLessThanOrEqual(2);
    expect(await queriesFor('/products/latest/', 20)).toBeLessThanOrEqual(2);
    const categoryOne = await queriesFor('/categories/single/products/', 1);
    expect(await queriesFor('/categories/parent/products/', 20)).toBe(categoryOne);
  });
});
