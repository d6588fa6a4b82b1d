import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategories, insertProducts, titles, type CategoryRecord } from '../../support/catalog';

const NO_CACHE = { CATALOG_CACHE_TTL: '0' };

describe('product search', () => {
  let api: TestApi;
  let phones: CategoryRecord;
  let books: CategoryRecord;
  let kitchen: CategoryRecord;
  const search = (q: string) => request(api.app).get('/api/v1/products/search/').query({ q });
  const get = (path: string) => request(api.app).get(`/api/v1${path}`);

  beforeAll(async () => {
    api = await startTestApi(NO_CACHE);
    [phones, books, kitchen] = (await insertCategories(api, [
      { name: 'Phones', slug: 'phones' },
      { name: 'Books', slug: 'books' },
      { name: 'Kitchen', slug: 'kitchen' },
    ])) as [CategoryRecord, CategoryRecord, CategoryRecord];
    await insertProducts(api, [
      { title: 'iPhone 15', category_id: phones.id, price: '999.00', description: 'A smartphone with a good camera', age: 1 },
      { title: 'Phone case', category_id: phones.id, price: '19.00', description: 'Fits the iPhone 15', age: 2 },
      { title: 'Kettle', category_id: kitchen.id, price: '35.00', description: 'Boils water for tea', age: 3 },
      { title: 'Teapot', category_id: kitchen.id, price: '25.00', description: 'Porcelain, holds a kettle of tea', age: 4 },
      { title: 'Red kettle', category_id: kitchen.id, price: '45.00', description: 'Like the kettle, but red', age: 5 },
      { title: 'The Hobbit', category_id: books.id, price: '12.00', description: 'A novel by Tolkien', age: 6 },
      { title: 'Crème brûlée torch', category_id: kitchen.id, price: '30.00', description: 'Caramelises sugar', age: 7 },
      { title: 'Old kettle', category_id: kitchen.id, price: '5.00', description: 'Retired', is_active: false, age: 8 },
    ]);
  });
  afterAll(() => api.close());

  it('When a word is in one title and another description, then the exact title match ranks first', async () => {
    const response = await search('teapot');
    expect(response.status).toBe(200);
    expect(titles(response)).toEqual(['Teapot']);
    const kettles = await search('kettle');
    expect(kettles.body.count).toBe(3);
    // "Kettle" and "Red kettle" match in the title (weight A); "Teapot" only in its description.
    expect(titles(kettles).slice(0, 2).sort()).toEqual(['Kettle', 'Red kettle']);
    expect(titles(kettles)[2]).toBe('Teapot');
  });

  it('When the query is the start of a word, then it matches as a prefix', async () => {
    const response = await search('iph');
    expect(response.status).toBe(200);
    expect(titles(response)).toEqual(['iPhone 15', 'Phone case']);
    expect(titles(response)[0]).toBe('iPhone 15');
  });

  it('When the query is upper case, then it still matches', async () => {
    expect(titles(await search('KETTLE')).sort()).toEqual(['Kettle', 'Red kettle', 'Teapot']);
  });

  it('When several words are given, then a product must match all of them', async () => {
    expect(titles(await search('red kettle'))).toEqual(['Red kettle']);
    expect(titles(await search('tea kettle')).sort()).toEqual(['Kettle', 'Teapot']);
    expect((await search('kettle hobbit')).body.count).toBe(0);
  });

  it('When words are separated by commas or punctuation, then they are still words that must all match', async () => {
    expect(titles(await search('red,kettle'))).toEqual(['Red kettle']);
    expect(titles(await search('  red ;; kettle  '))).toEqual(['Red kettle']);
  });

  it('When the query names a category, then its products are found (as the old search did)', async () => {
    const response = await search('books');
    expect(response.status).toBe(200);
    expect(titles(response)).toEqual(['The Hobbit']);
    expect(response.body.count).toBe(1);
  });

  it('When the query has accents, then accented titles are found', async () => {
    expect(titles(await search('crème'))).toEqual(['Crème brûlée torch']);
    expect(titles(await search('brûlée torch'))).toEqual(['Crème brûlée torch']);
  });

  it('When a product is inactive, then search never returns it', async () => {
    const response = await search('retired');
    expect(response.body.count).toBe(0);
    expect(titles(await search('old kettle'))).toEqual([]);
  });

  it('When q is empty, blank or absent, then the page is empty (count 0)', async () => {
    for (const path of ['/products/search/', '/products/search/?q=', '/products/search/?q=%20%20', '/products/search/?q=!!!']) {
      const response = await get(path);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    }
  });

  it('When q is only stop words, then the answer is an empty page, not an error', async () => {
    const response = await search('the a of');
    expect(response.status).toBe(200);
    expect(response.body.count).toBe(0);
  });

  it('When ordering is given, then it replaces relevance', async () => {
    expect(titles(await get('/products/search/?q=kettle&ordering=price'))).toEqual(['Teapot', 'Kettle', 'Red kettle']);
    expect(titles(await get('/products/search/?q=kettle&ordering=-price'))).toEqual(['Red kettle', 'Kettle', 'Teapot']);
  });

  it.each([
    ["'); DROP TABLE products;--"],
    ['a & b | !c'],
    ['<script>alert(1)</script>'],
    ['%_'],
    ['%'],
    ["kettle' OR '1'='1"],
    ['(kettle'],
    ['kettle:*'],
    ['\\'],
    ['"quoted"'],
    ['!!!'],
    ['日本語'],
    ['😀 kettle'],
    ['ﬁ'],
    ['kettle\u0000'],
    ['a'.repeat(200)],
    [Array.from({ length: 40 }, (_, index) => `w${index}`).join(' ')],
  ])('When q is %j, then 200 with a page (possibly empty) and the products table is intact', async (q) => {
    const response = await search(q);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['count', 'next', 'previous', 'results']);
    expect(response.body.count).toBe(response.body.results.length);
    const [{ count }] = (await api.db('products').count({ count: '*' })) as [{ count: number }];
    expect(count).toBe(8);
  });

  it('When hostile text surrounds a real word, then only the word counts', async () => {
    expect(titles(await search("'); kettle & | !red --"))).toEqual(['Red kettle']);
    expect(titles(await search('<teapot/>'))).toEqual(['Teapot']);
  });

  it('When q is longer than 200 characters, then 400 names the limit and nothing runs', async () => {
    const response = await search('kettle '.repeat(100));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ q: ['Ensure this field has no more than 200 characters.'], code: 'invalid' });
  });

  it('When search= on /products/ is combined with category and price filters, then all apply', async () => {
    expect(titles(await get('/products/?search=kettle'))).toEqual(['Kettle', 'Teapot', 'Red kettle']);
    expect(titles(await get('/products/?search=kettle&max_price=40'))).toEqual(['Kettle', 'Teapot']);
    expect(titles(await get(`/products/?search=iphone&category=${phones.id}&min_price=100`))).toEqual(['iPhone 15']);
    const none = await get(`/products/?search=kettle&category=${books.id}`);
    expect(none.status).toBe(200);
    expect(none.body.count).toBe(0);
    const ordered = await get('/products/?search=kettle&ordering=-price');
    expect(titles(ordered)).toEqual(['Red kettle', 'Kettle', 'Teapot']);
    expect(ordered.body.count).toBe(3);
  });

  it('When search= on /products/ holds only operators, then it is ignored and the unfiltered list comes back', async () => {
    const response = await get(`/products/?search=${encodeURIComponent('& | !')}`);
    expect(response.status).toBe(200);
    expect(response.body.count).toBe(7);
  });

  it('When search results span pages, then next keeps q and equal ranks come newest first', async () => {
    await insertProducts(api, Array.from({ length: 21 }, (_, index) => ({ title: `Widget ${index}`, category_id: kitchen.id, age: 100 + index })));
    const first = await request(api.app).get('/api/v1/products/search/?q=widget').set('Host', 'shop.example.com');
    expect(first.body.count).toBe(21);
    expect(first.body.results).toHaveLength(20);
    expect(first.body.next).toBe('http://shop.example.com/api/v1/products/search/?page=2&q=widget');
    // Equal ranks: the newest first, as the old search ordered.
    expect(titles(first)[0]).toBe('Widget 20');
    const second = await request(api.app).get('/api/v1/products/search/?q=widget&page=2');
    expect(second.body.results).toHaveLength(1);
  });
});
