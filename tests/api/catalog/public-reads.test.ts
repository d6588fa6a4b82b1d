import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import {
  INVALID_CATEGORY_CHOICE,
  INVALID_PAGE,
  insertCategories,
  insertCategory,
  insertProduct,
  insertProducts,
  ISO_MICROS,
  manyProducts,
  pluck,
  NO_PRODUCT,
  PRODUCT_KEYS,
  titles,
  type CategoryRecord,
} from '../../support/catalog';

const HOST = 'shop.example.com';
const BASE = `http://${HOST}/api/v1`;

/** The read cache is off here: these tests write rows straight into the database, which never invalidates it. */
const NO_CACHE = { CATALOG_CACHE_TTL: '0' };

describe('public product reads: shape, detail and pagination', () => {
  let api: TestApi;
  let books: CategoryRecord;
  const get = (path: string) => request(api.app).get(`/api/v1${path}`).set('Host', HOST);

  beforeAll(async () => {
    api = await startTestApi(NO_CACHE);
    books = await insertCategory(api, { name: 'Books', slug: 'books' });
    // 45 products: three pages of 20, 20 and 5.
    await insertProducts(api, manyProducts(books.id, 45));
  });
  afterAll(() => api.close());

  it('When a product is fetched, then it has the old keys in the old order and the old value types', async () => {
    const row = await insertProduct(api, {
      title: 'Shape',
      slug: 'shape',
      description: 'A described thing',
      price: '49.5',
      category_id: books.id,
      stock_quantity: 7,
      image: 'products/shape.png',
      age: 1000,
    });
    const response = await get(`/products/${row.id}/`);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(PRODUCT_KEYS);
    expect(response.body).toEqual({
      id: row.id,
      title: 'Shape',
      slug: 'shape',
      description: 'A described thing',
      price: '49.50',
      category: books.id,
      category_name: 'Books',
      image: `http://${HOST}/media/products/shape.png`,
      stock_quantity: 7,
      created_at: expect.stringMatching(ISO_MICROS),
      updated_at: expect.stringMatching(ISO_MICROS),
      average_rating: 0,
      reviews_count: 0,
    });
    await api.db('products').where({ id: row.id }).delete();
  });

  it('When a product has no image, an external image or reviews, then image and rating are rendered accordingly', async () => {
    const [plain, external, rated] = await insertProducts(api, [
      { title: 'Plain', category_id: books.id, age: 2000 },
      { title: 'External', category_id: books.id, image: 'https://cdn.example.com/x.png', age: 2001 },
      { title: 'Rated', category_id: books.id, average_rating: '3.50', reviews_count: 2, age: 2002 },
    ]);
    expect((await get(`/products/${plain?.id}/`)).body).toMatchObject({ image: null, average_rating: 0, reviews_count: 0 });
    expect((await get(`/products/${external?.id}/`)).body.image).toBe('https://cdn.example.com/x.png');
    const ratedBody = (await get(`/products/${rated?.id}/`)).body;
    expect(ratedBody.average_rating).toBe(3.5);
    expect(typeof ratedBody.average_rating).toBe('number');
    expect(ratedBody.reviews_count).toBe(2);
    await api.db('products').whereIn('id', [plain, external, rated].map((row) => row?.id ?? 0)).delete();
  });

  it('When a product is fetched by slug, then it is the same product as by id', async () => {
    const row = await insertProduct(api, { title: 'By Slug', slug: 'by-slug', category_id: books.id, age: 3000 });
    const [byId, bySlug] = await Promise.all([get(`/products/${row.id}/`), get('/products/by-slug/')]);
    expect(bySlug.status).toBe(200);
    expect(bySlug.body).toEqual(byId.body);
    await api.db('products').where({ id: row.id }).delete();
  });

  it.each(['/products/999999/', '/products/no-such-product/', '/products/Not_A_Slug/', '/products/-1/'])(
    'When %s names no product, then 404 No Product matches the given query.',
    async (path) => {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NO_PRODUCT);
    },
  );

  it('When the first page is listed, then it holds 20 products, the total and an absolute next link', async () => {
    const response = await get('/products/');
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['count', 'next', 'previous', 'results']);
    expect(response.body.count).toBe(45);
    expect(response.body.results).toHaveLength(20);
    expect(response.body.next).toBe(`${BASE}/products/?page=2`);
    expect(response.body.previous).toBeNull();
    expect(Object.keys(response.body.results[0])).toEqual(PRODUCT_KEYS);
  });

  it('When page 2 is listed with other params, then next and previous keep them, sorted as DRF wrote them, and previous drops page', async () => {
    const response = await get('/products/?ordering=title&page=2&category=books&page_size=50');
    expect(response.status).toBe(200);
    expect(response.body.results).toHaveLength(20);
    // Parameters the endpoint ignores (page_size) are not repeated in links.
    expect(response.body.next).toBe(`${BASE}/products/?category=books&ordering=title&page=3`);
    expect(response.body.previous).toBe(`${BASE}/products/?category=books&ordering=title`);
  });

  it('When page=last or the last page number is asked for, then the 5 remaining products come back', async () => {
    const [last, third] = await Promise.all([get('/products/?page=last'), get('/products/?page=3')]);
    expect(last.status).toBe(200);
    expect(last.body.results).toHaveLength(5);
    expect(last.body.next).toBeNull();
    expect(last.body.previous).toBe(`${BASE}/products/?page=2`);
    expect(third.body.results).toEqual(last.body.results);
  });

  it.each(['4', '0', '-1', 'abc', '1.5', '99999999999999999999'])('When page=%s is asked for, then 404 Invalid page.', async (page) => {
    const response = await get(`/products/?page=${page}`);
    expect(response.status).toBe(404);
    expect(response.body).toEqual(INVALID_PAGE);
  });

  it('When page_size is given, then it is ignored (20 per page)', async () => {
    const response = await get('/products/?page_size=5');
    expect(response.body.results).toHaveLength(20);
  });

  it('When nothing orders the list, then the oldest product comes first', async () => {
    const response = await get('/products/');
    expect(titles(response).slice(0, 3)).toEqual(['Item 000', 'Item 001', 'Item 002']);
  });
});

describe('public product reads: ordering and filters', () => {
  let api: TestApi;
  let clothing: CategoryRecord;
  let shirts: CategoryRecord;
  let toys: CategoryRecord;
  const get = (path: string) => request(api.app).get(`/api/v1${path}`).set('Host', HOST);

  beforeAll(async () => {
    api = await startTestApi(NO_CACHE);
    [clothing, toys] = (await insertCategories(api, [
      { name: 'Clothing', slug: 'clothing' },
      { name: 'Toys', slug: 'toys' },
    ])) as [CategoryRecord, CategoryRecord];
    shirts = await insertCategory(api, { name: 'Shirts', slug: 'shirts', parent_id: clothing.id });
    await insertProducts(api, [
      { title: 'Cap', category_id: clothing.id, price: '15.00', stock_quantity: 3, average_rating: '4.00', age: 1 },
      { title: 'Blue shirt', category_id: shirts.id, price: '49.50', stock_quantity: 0, average_rating: '2.50', age: 2 },
      { title: 'Anorak', category_id: clothing.id, price: '120.00', stock_quantity: 1, average_rating: '5.00', age: 3 },
      { title: 'Yo-yo', category_id: toys.id, price: '3.99', stock_quantity: 0, average_rating: '1.00', age: 4, description: 'A shirt-pocket toy' },
      { title: 'Hidden shirt', category_id: shirts.id, price: '15.00', is_active: false, age: 5 },
    ]);
  });
  afterAll(() => api.close());

  it.each([
    ['price', ['Yo-yo', 'Cap', 'Blue shirt', 'Anorak']],
    ['-price', ['Anorak', 'Blue shirt', 'Cap', 'Yo-yo']],
    ['created_at', ['Cap', 'Blue shirt', 'Anorak', 'Yo-yo']],
    ['-created_at', ['Yo-yo', 'Anorak', 'Blue shirt', 'Cap']],
    ['title', ['Anorak', 'Blue shirt', 'Cap', 'Yo-yo']],
    ['-title', ['Yo-yo', 'Cap', 'Blue shirt', 'Anorak']],
    ['rating', ['Yo-yo', 'Blue shirt', 'Cap', 'Anorak']],
    ['-rating', ['Anorak', 'Cap', 'Blue shirt', 'Yo-yo']],
  ])('When ordering=%s, then products are sorted by it', async (ordering, expected) => {
    const response = await get(`/products/?ordering=${ordering}`);
    expect(response.status).toBe(200);
    expect(titles(response)).toEqual(expected);
  });

  it.each(['stock_quantity', 'is_active', 'price;DROP TABLE products', '--price', ''])(
    'When ordering=%s is unknown, then it is ignored (oldest first)',
    async (ordering) => {
      const response = await get(`/products/?ordering=${encodeURIComponent(ordering)}`);
      expect(response.status).toBe(200);
      expect(titles(response)).toEqual(['Cap', 'Blue shirt', 'Anorak', 'Yo-yo']);
    },
  );

  it('When filtering by a parent category id or slug, then its subcategories are included and inactive ones are not', async () => {
    for (const ref of [String(clothing.id), 'clothing']) {
      const response = await get(`/products/?category=${ref}`);
      expect(response.status).toBe(200);
      expect(response.body.count).toBe(3);
      expect(titles(response)).toEqual(['Cap', 'Blue shirt', 'Anorak']);
    }
  });

  it('When filtering by a leaf category, then only its products come back', async () => {
    const response = await get(`/products/?category=${shirts.id}`);
    expect(titles(response)).toEqual(['Blue shirt']);
    expect(response.body.count).toBe(1);
  });

  it.each(['999999', 'no-such-category', 'Bad Slug!'])('When category=%s is unknown, then 400 with the old choice message', async (ref) => {
    const response = await get(`/products/?category=${encodeURIComponent(ref)}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(INVALID_CATEGORY_CHOICE);
  });

  it('When filtering by an exact price, then 49.5 matches 49.50', async () => {
    const [short, long] = await Promise.all([get('/products/?price=49.5'), get('/products/?price=15')]);
    expect(titles(short)).toEqual(['Blue shirt']);
    expect(titles(long)).toEqual(['Cap']);
  });

  it('When min_price and max_price are given, then both bounds are inclusive', async () => {
    expect(titles(await get('/products/?min_price=15&max_price=49.50'))).toEqual(['Cap', 'Blue shirt']);
    expect(titles(await get('/products/?min_price=100'))).toEqual(['Anorak']);
    const upTo = await get('/products/?max_price=15.00');
    expect(titles(upTo)).toEqual(['Cap', 'Yo-yo']);
    expect(upTo.body.count).toBe(2);
  });

  it.each(['price', 'min_price', 'max_price'])('When %s is not a number, then 400 Enter a number.', async (param) => {
    const response = await get(`/products/?${param}=abc`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ [param]: ['Enter a number.'], code: 'invalid' });
  });

  it('When filter parameters are present but empty, then they are ignored as django-filter did', async () => {
    const response = await get('/products/?category=&price=&min_price=&max_price=&in_stock=&search=');
    expect(response.status).toBe(200);
    expect(titles(response)).toEqual(['Cap', 'Blue shirt', 'Anorak', 'Yo-yo']);
  });

  it('When in_stock is not a boolean, then 400 Must be a valid boolean.', async () => {
    const response = await get('/products/?in_stock=maybe');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ in_stock: ['Must be a valid boolean.'], code: 'invalid' });
  });

  it('When in_stock is true or false, then products with and without stock are selected', async () => {
    expect(titles(await get('/products/?in_stock=true'))).toEqual(['Cap', 'Anorak']);
    expect(titles(await get('/products/?in_stock=false'))).toEqual(['Blue shirt', 'Yo-yo']);
  });

  it('When search= is given, then title and description words match and the count follows', async () => {
    const response = await get('/products/?search=shirt');
    expect(response.status).toBe(200);
    expect(titles(response)).toEqual(['Blue shirt', 'Yo-yo']);
    expect(response.body.count).toBe(2);
  });

  it('When several filters are combined, then all of them apply', async () => {
    const response = await get(`/products/?category=clothing&max_price=50&in_stock=false&ordering=-price`);
    expect(titles(response)).toEqual(['Blue shirt']);
    expect(response.body.count).toBe(1);
  });
});

describe('public reads: inactive products, featured and latest', () => {
  let api: TestApi;
  let shop: CategoryRecord;
  let hidden: { id: number; slug: string };
  const get = (path: string) => request(api.app).get(`/api/v1${path}`).set('Host', HOST);

  beforeAll(async () => {
    api = await startTestApi(NO_CACHE);
    shop = await insertCategory(api, { name: 'Shop', slug: 'shop' });
    // 25 active products with ascending prices opposite to their age, then the newest of all is inactive.
    await insertProducts(api, manyProducts(shop.id, 25, (index) => ({ price: `${100 - index}.00`, description: 'gadget' })));
    hidden = await insertProduct(api, { title: 'Secret gadget', slug: 'secret-gadget', category_id: shop.id, is_active: false, age: 999, description: 'gadget' });
  });
  afterAll(() => api.close());

  it('When a product is inactive, then it is in no listing, search, featured or latest page', async () => {
    const paths = ['/products/?page=last', '/products/?search=gadget&page=last', '/products/search/?q=secret', '/products/featured/', '/products/latest/'];
    for (const path of paths) {
      const response = await get(path);
      expect(response.status).toBe(200);
      expect(titles(response)).not.toContain('Secret gadget');
    }
    expect((await get('/products/')).body.count).toBe(25);
    expect((await get('/products/search/?q=secret')).body.count).toBe(0);
  });

  it('When an inactive product is fetched by id or slug, then 404', async () => {
    for (const path of [`/products/${hidden.id}/`, `/products/${hidden.slug}/`]) {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NO_PRODUCT);
    }
  });

  it('When its category is read, then the inactive product is neither listed nor counted', async () => {
    const category = await get(`/categories/${shop.id}/`);
    expect(category.body.products_count).toBe(25);
    const products = await get(`/categories/${shop.id}/products/?page=last`);
    expect(products.body.count).toBe(25);
    expect(titles(products)).not.toContain('Secret gadget');
  });

  it('When featured is asked for, then the 10 newest active products come back newest first', async () => {
    const response = await get('/products/featured/');
    expect(response.status).toBe(200);
    expect(response.body.count).toBe(10);
    expect(response.body.next).toBeNull();
    expect(titles(response)).toEqual(Array.from({ length: 10 }, (_, index) => `Item ${String(24 - index).padStart(3, '0')}`));
  });

  it('When latest is asked for, then the 20 newest active products come back on one page', async () => {
    const response = await get('/products/latest/');
    expect(response.body.count).toBe(20);
    expect(response.body.results).toHaveLength(20);
    expect(response.body.next).toBeNull();
    expect(titles(response)[0]).toBe('Item 024');
    expect(titles(response)[19]).toBe('Item 005');
  });

  it('When featured or latest get ?ordering=price, then the same products are re-ordered (the old backend answered 500)', async () => {
    const featured = await get('/products/featured/?ordering=price');
    expect(featured.status).toBe(200);
    expect(featured.body.count).toBe(10);
    expect(pluck(featured, 'price')).toEqual(
      Array.from({ length: 10 }, (_, index) => `${76 + index}.00`),
    );
    const latest = await get('/products/latest/?ordering=-title');
    expect(latest.status).toBe(200);
    expect(titles(latest)[0]).toBe('Item 024');
    const byTitle = await get('/products/latest/?ordering=title');
    expect(titles(byTitle)[0]).toBe('Item 005');
  });
});
