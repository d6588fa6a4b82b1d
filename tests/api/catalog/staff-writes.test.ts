import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import {
  ids,
  insertCategory,
  insertProduct,
  NO_PRODUCT,
  NOT_AUTHENTICATED,
  PERMISSION_DENIED,
  registerStaff,
  STAFF_PRODUCT_KEYS,
  type CategoryRecord,
} from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';

const HOST = 'shop.example.com';
const RESERVED = { slug: ['This slug is reserved or only digits; it could not be reached by URL.'], code: 'invalid' };

const MOUNTS = [
  { label: 'the staff router (no trailing slash)', collection: '/api/v1/admin/products', item: (id: number | string) => `/api/v1/admin/products/${id}`, staffReads: true },
  { label: 'the staff router with a trailing slash', collection: '/api/v1/admin/products/', item: (id: number | string) => `/api/v1/admin/products/${id}/`, staffReads: true },
  { label: 'the REST aliases', collection: '/api/v1/products/', item: (id: number | string) => `/api/v1/products/${id}/`, staffReads: false },
];

describe.each(MOUNTS)('product writes through $label', ({ collection, item, staffReads }) => {
  let api: TestApi;
  let staff: RegisteredUser;
  let customer: RegisteredUser;
  let category: CategoryRecord;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    staff = await registerStaff(api);
    customer = await registerUser(api);
    category = await insertCategory(api, { name: 'Tools', slug: 'tools' });
  });
  afterAll(() => api.close());

  const valid = () => ({ title: 'Hammer', price: '12.50', category: category.id });

  it('When nobody is signed in, then every write is 401 and nothing changes', async () => {
    const product = await insertProduct(api, { title: 'Fixed', category_id: category.id, price: '1.00' });
    const responses = [
      await request(api.app).post(collection).send(valid()),
      await request(api.app).put(item(product.id)).send(valid()),
      await request(api.app).patch(item(product.id)).send({ price: '2.00' }),
      await request(api.app).delete(item(product.id)),
      ...(staffReads ? [await request(api.app).get(collection), await request(api.app).get(item(product.id))] : []),
    ];
    for (const response of responses) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual(NOT_AUTHENTICATED);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
    }
    expect(await api.db('products').where({ id: product.id }).first('price', 'title')).toEqual({ price: '1.00', title: 'Fixed' });
    expect(await api.db('products').where({ title: 'Hammer' })).toHaveLength(0);
  });

  it('When a customer calls, then every write is 403 and nothing changes', async () => {
    const product = await insertProduct(api, { title: 'Fixed too', category_id: category.id, price: '1.00' });
    const auth = bearer(customer.access);
    const responses = [
      await request(api.app).post(collection).set(auth).send(valid()),
      await request(api.app).put(item(product.id)).set(auth).send(valid()),
      await request(api.app).patch(item(product.id)).set(auth).send({ price: '2.00' }),
      await request(api.app).delete(item(product.id)).set(auth),
      ...(staffReads ? [await request(api.app).get(collection).set(auth), await request(api.app).get(item(product.id)).set(auth)] : []),
    ];
    for (const response of responses) {
      expect(response.status).toBe(403);
      expect(response.body).toEqual(PERMISSION_DENIED);
    }
    expect(await api.db('products').where({ id: product.id }).first('price')).toEqual({ price: '1.00' });
  });

  it('When staff create, replace, patch and delete a product, then each succeeds with the staff shape', async () => {
    const auth = bearer(staff.access);
    const created = await request(api.app).post(collection).set(auth).set('Host', HOST).send({ ...valid(), title: 'Round trip' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(STAFF_PRODUCT_KEYS);
    expect(created.body).toMatchObject({ title: 'Round trip', slug: 'round-trip', price: '12.50', category: category.id, category_name: 'Tools', is_active: true });
    const id = created.body.id as number;

    const replaced = await request(api.app).put(item(id)).set(auth).send({ title: 'Round trip 2', price: '13', category: category.id, stock_quantity: 4 });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id, title: 'Round trip 2', slug: 'round-trip', price: '13.00', stock_quantity: 4 });

    const patched = await request(api.app).patch(item(id)).set(auth).send({ description: 'Now described' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ title: 'Round trip 2', price: '13.00', stock_quantity: 4, description: 'Now described' });

    const publicView = await request(api.app).get(`/api/v1/products/${id}/`);
    expect(publicView.body.description).toBe('Now described');

    const deleted = await request(api.app).delete(item(id)).set(auth);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await request(api.app).get(`/api/v1/products/${id}/`)).body).toEqual(NO_PRODUCT);
    const again = await request(api.app).delete(item(id)).set(auth);
    expect(again.status).toBe(404);
    expect(again.body).toEqual(NO_PRODUCT);
    if (staffReads) expect((await request(api.app).get(item(id)).set(auth)).status).toBe(404);
  });

  it('When staff write to an id that does not exist or is not a number, then 404', async () => {
    const auth = bearer(staff.access);
    for (const response of [
      await request(api.app).put(item(999999)).set(auth).send(valid()),
      await request(api.app).patch(item(999999)).set(auth).send({ price: '2.00' }),
      await request(api.app).delete(item(999999)).set(auth),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NO_PRODUCT);
    }
    const wrong = await request(api.app).patch(item('abc')).set(auth).send({ price: '2.00' });
    expect(wrong.status).toBe(404);
    expect(wrong.body.code).toBe('not_found');
  });
});

describe('product writes: validation, slugs and visibility', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let category: CategoryRecord;
  const auth = () => bearer(staff.access);
  const create = (body: Record<string, unknown>) => request(api.app).post('/api/v1/admin/products').set(auth()).set('Host', HOST).send(body);
  const patch = (id: number, body: Record<string, unknown>) => request(api.app).patch(`/api/v1/admin/products/${id}`).set(auth()).send(body);
  const productCount = async () => Number(((await api.db('products').count({ count: '*' })) as [{ count: number }])[0].count);

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    staff = await registerStaff(api);
    category = await insertCategory(api, { name: 'Clothing', slug: 'clothing' });
  });
  afterAll(() => api.close());

  it('When a product is created, then 201 returns the defaults and the staff-only is_active', async () => {
    const response = await create({ title: 'Plain tee', price: '19.9', category: category.id });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(Number),
      title: 'Plain tee',
      slug: 'plain-tee',
      description: '',
      price: '19.90',
      category: category.id,
      category_name: 'Clothing',
      image: null,
      stock_quantity: 0,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      average_rating: 0,
      reviews_count: 0,
      is_active: true,
    });
    expect(await api.db('products').where({ id: response.body.id }).first('price')).toEqual({ price: '19.90' });
  });

  it('When two products get the same title, then slugs are red-shirt and red-shirt-2', async () => {
    const first = await create({ title: 'Red Shirt', price: '10', category: category.id });
    const second = await create({ title: 'Red  shirt!', price: '10', category: category.id });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect([first.body.slug, second.body.slug]).toEqual(['red-shirt', 'red-shirt-2']);
  });

  it('When an explicit slug is given, then it is kept; a taken one is 400 and nothing is created', async () => {
    const response = await create({ title: 'Anything', slug: 'my-own-slug', price: '10', category: category.id });
    expect(response.status).toBe(201);
    expect(response.body.slug).toBe('my-own-slug');
    const before = await productCount();
    const duplicate = await create({ title: 'Other', slug: 'my-own-slug', price: '10', category: category.id });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toEqual({ slug: ['product with this slug already exists.'], code: 'unique' });
    expect(await productCount()).toBe(before);
  });

  it.each(['search', 'featured', 'latest', '123'])('When the explicit slug is %s, then 400 (the URL could never reach it)', async (slug) => {
    const response = await create({ title: 'Unreachable', slug, price: '10', category: category.id });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(RESERVED);
  });

  it('When an explicit slug has bad characters, then 400 with the old slug message', async () => {
    const response = await create({ title: 'Bad', slug: 'Not A Slug', price: '10', category: category.id });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ slug: ['Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'], code: 'invalid' });
  });

  it.each([
    ['Featured', 'featured-2'],
    ['Search', 'search-2'],
    ['Latest!', 'latest-2'],
    ['123', '123-2'],
  ])('When the title %s would slugify to an unreachable slug, then it gets %s', async (title, slug) => {
    const response = await create({ title, price: '10', category: category.id });
    expect(response.status).toBe(201);
    expect(response.body.slug).toBe(slug);
    expect((await request(api.app).get(`/api/v1/products/${slug}/`)).body.id).toBe(response.body.id);
  });

  it('When the title changes, then the slug stays (links keep working) and updated_at moves', async () => {
    const created = await create({ title: 'Green Shirt', price: '10', category: category.id });
    const patched = await patch(created.body.id, { title: 'Dark Green Shirt' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ title: 'Dark Green Shirt', slug: 'green-shirt' });
    expect(patched.body.updated_at > created.body.updated_at).toBe(true);
    expect(patched.body.created_at).toBe(created.body.created_at);
  });

  it.each([
    [0, 'Ensure this value is greater than 0.'],
    ['0.00', 'Ensure this value is greater than 0.'],
    [-5, 'Ensure this value is greater than 0.'],
    ['-5.00', 'Ensure this value is greater than 0.'],
    ['abc', 'A valid number is required.'],
    ['', 'A valid number is required.'],
    [true, 'A valid number is required.'],
    ['1.999', 'Ensure that there are no more than 2 decimal places.'],
    [0.001, 'Ensure that there are no more than 2 decimal places.'],
    [123456789.99, 'Ensure that there are no more than 10 digits in total.'],
    ['1e2', 'A valid number is required.'],
  ])('When price is %j, then 400 %s and nothing is stored', async (price, message) => {
    const before = await productCount();
    const response = await create({ title: 'Priced', price, category: category.id });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ price: [message], code: 'invalid' });
    expect(await productCount()).toBe(before);
  });

  it('When price is a tiny number printed in exponent form (1e-7), then 400, not a server error', async () => {
    const response = await create({ title: 'Tiny', price: 1e-7, category: category.id });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid');
    expect(response.body.price).toHaveLength(1);
  });

  it.each([
    ['99999999.99', '99999999.99'],
    [12, '12.00'],
    [4.5, '4.50'],
    [' 7.25 ', '7.25'],
  ])('When price is %j, then it is stored as %s', async (price, stored) => {
    const response = await create({ title: 'Priced ok', price, category: category.id });
    expect(response.status).toBe(201);
    expect(response.body.price).toBe(stored);
  });

  it.each([
    [-1, 'Ensure this value is greater than or equal to 0.'],
    [1.5, 'A valid integer is required.'],
    ['abc', 'A valid integer is required.'],
    [2147483648, 'Ensure this value is less than or equal to 2147483647.'],
    [null, 'This field may not be null.'],
    ['', 'A valid integer is required.'],
    [true, 'A valid integer is required.'],
  ])('When stock_quantity is %j, then 400 %s', async (stock, message) => {
    const response = await create({ title: 'Stocked', price: '10', category: category.id, stock_quantity: stock });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ stock_quantity: [message], code: 'invalid' });
  });

  it('When the category does not exist, then 400 Invalid pk on create and on patch, and nothing changes', async () => {
    const before = await productCount();
    const response = await create({ title: 'Lost', price: '10', category: 999 });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ category: ['Invalid pk "999" - object does not exist.'], code: 'invalid' });
    expect(await productCount()).toBe(before);
    const existing = await create({ title: 'Found', price: '10', category: category.id });
    const patched = await patch(existing.body.id, { category: 999, price: '11' });
    expect(patched.status).toBe(400);
    expect(patched.body).toEqual({ category: ['Invalid pk "999" - object does not exist.'], code: 'invalid' });
    expect(await api.db('products').where({ id: existing.body.id }).first('price', 'category_id')).toEqual({ price: '10.00', category_id: category.id });
  });

  it('When PUT leaves out title, price and category, then each is "This field is required."', async () => {
    const existing = await create({ title: 'Replace me', price: '10', category: category.id });
    const response = await request(api.app).put(`/api/v1/admin/products/${existing.body.id}`).set(auth()).send({ description: 'only this' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      title: ['This field is required.'],
      price: ['This field is required.'],
      category: ['This field is required.'],
      code: 'invalid',
    });
  });

  it('When PATCH sends one field, then only that field changes', async () => {
    const existing = await create({ title: 'Partial', price: '10', category: category.id, description: 'kept', stock_quantity: 3 });
    const response = await patch(existing.body.id, { stock_quantity: 9 });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ title: 'Partial', price: '10.00', description: 'kept', stock_quantity: 9, slug: existing.body.slug });
  });

  it('When a text field holds a NUL character, then 400 (never a database error)', async () => {
    const response = await create({ title: 'Nul\u0000title', price: '10', category: category.id });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ title: ['Null characters are not allowed.'], code: 'invalid' });
  });

  it('When a product is made inactive, then only the staff endpoints still show it', async () => {
    const created = await create({ title: 'Soon hidden', price: '10', category: category.id });
    const { id, slug } = created.body as { id: number; slug: string };
    const hidden = await patch(id, { is_active: false });
    expect(hidden.status).toBe(200);
    expect(hidden.body.is_active).toBe(false);
    for (const path of [`/api/v1/products/${id}/`, `/api/v1/products/${slug}/`]) {
      expect((await request(api.app).get(path)).body).toEqual(NO_PRODUCT);
    }
    const publicIds = ids(await request(api.app).get('/api/v1/products/?page=last'));
    expect(publicIds).not.toContain(id);
    const staffView = await request(api.app).get(`/api/v1/admin/products/${id}`).set(auth());
    expect(staffView.status).toBe(200);
    expect(staffView.body.is_active).toBe(false);
    const staffList = await request(api.app).get('/api/v1/admin/products?page=last').set(auth());
    expect(ids(staffList)).toContain(id);
    expect((await patch(id, { is_active: true })).body.is_active).toBe(true);
    expect((await request(api.app).get(`/api/v1/products/${slug}/`)).status).toBe(200);
  });

  it('When a product is created inactive, then the public list and its category count ignore it', async () => {
    const before = (await request(api.app).get(`/api/v1/categories/${category.id}/`)).body.products_count as number;
    const created = await create({ title: 'Born hidden', price: '10', category: category.id, is_active: false });
    expect(created.status).toBe(201);
    expect(created.body.is_active).toBe(false);
    expect((await request(api.app).get(`/api/v1/categories/${category.id}/`)).body.products_count).toBe(before);
  });

  it('When a product moves to another category or is hidden, then both categories count it right', async () => {
    const other = await insertCategory(api, { name: 'Other shelf', slug: 'other-shelf' });
    const count = async (id: number) => (await request(api.app).get(`/api/v1/categories/${id}/`)).body.products_count as number;
    const [fromBefore, toBefore] = [await count(category.id), await count(other.id)];
    const created = await create({ title: 'Mover', price: '10', category: category.id });
    expect(await count(category.id)).toBe(fromBefore + 1);
    expect((await patch(created.body.id, { category: other.id })).body.category_name).toBe('Other shelf');
    expect([await count(category.id), await count(other.id)]).toEqual([fromBefore, toBefore + 1]);
    await patch(created.body.id, { is_active: false });
    expect(await count(other.id)).toBe(toBefore);
  });

  it('When staff open the admin root, then it links both collections absolutely; others get 401/403', async () => {
    const root = await request(api.app).get('/api/v1/admin/').set(auth()).set('Host', HOST);
    expect(root.status).toBe(200);
    expect(root.body).toEqual({ products: `http://${HOST}/api/v1/admin/products`, categories: `http://${HOST}/api/v1/admin/categories` });
    expect((await request(api.app).get('/api/v1/admin/')).status).toBe(401);
    const customer = await registerUser(api);
    expect((await request(api.app).get('/api/v1/admin/').set(bearer(customer.access))).body).toEqual(PERMISSION_DENIED);
  });

  it('When staff send a form-encoded body, then it is accepted as DRF did', async () => {
    const response = await request(api.app)
      .post('/api/v1/products/')
      .set(auth())
      .type('form')
      .send({ title: 'Form made', price: '5.5', category: String(category.id), stock_quantity: '2', is_active: 'false' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ title: 'Form made', price: '5.50', stock_quantity: 2, is_active: false });
  });

  it('When five staff requests create the same title at once, then all get 201 with distinct slugs', async () => {
    const responses = await Promise.all(Array.from({ length: 5 }, () => create({ title: 'Race Item', price: '10', category: category.id })));
    expect(responses.map((response) => response.status)).toEqual([201, 201, 201, 201, 201]);
    expect(responses.map((response) => response.body.slug as string).sort()).toEqual(['race-item', 'race-item-2', 'race-item-3', 'race-item-4', 'race-item-5']);
  });
});
