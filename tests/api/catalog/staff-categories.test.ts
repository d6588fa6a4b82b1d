import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import {
  CATEGORY_KEYS,
  insertCategory,
  insertProducts,
  NO_CATEGORY,
  NOT_AUTHENTICATED,
  pluck,
  PERMISSION_DENIED,
  registerStaff,
} from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';

const MOUNTS = [
  { label: 'the staff router', collection: '/api/v1/admin/categories', item: (id: number) => `/api/v1/admin/categories/${id}` },
  { label: 'the REST aliases', collection: '/api/v1/categories/', item: (id: number) => `/api/v1/categories/${id}/` },
];

describe.each(MOUNTS)('category writes through $label', ({ collection, item }) => {
  let api: TestApi;
  let staff: RegisteredUser;
  let customer: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    staff = await registerStaff(api);
    customer = await registerUser(api);
  });
  afterAll(() => api.close());

  it('When nobody is signed in or a customer calls, then writes are 401 or 403 and nothing changes', async () => {
    const existing = await insertCategory(api, { name: 'Untouchable', slug: 'untouchable' });
    for (const [headers, status, body] of [
      [{}, 401, NOT_AUTHENTICATED],
      [bearer(customer.access), 403, PERMISSION_DENIED],
    ] as const) {
      for (const response of [
        await request(api.app).post(collection).set(headers).send({ name: 'Intruder' }),
        await request(api.app).put(item(existing.id)).set(headers).send({ name: 'Renamed' }),
        await request(api.app).patch(item(existing.id)).set(headers).send({ name: 'Renamed' }),
        await request(api.app).delete(item(existing.id)).set(headers),
      ]) {
        expect(response.status).toBe(status);
        expect(response.body).toEqual(body);
      }
    }
    expect(await api.db('categories').where({ id: existing.id }).first('name')).toEqual({ name: 'Untouchable' });
    expect(await api.db('categories').where({ name: 'Intruder' })).toHaveLength(0);
  });

  it('When staff create, rename and delete a category, then each succeeds and the slug stays', async () => {
    const auth = bearer(staff.access);
    const created = await request(api.app).post(collection).set(auth).send({ name: 'Books & Media', description: 'Reading' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(CATEGORY_KEYS);
    expect(created.body).toEqual({ id: expect.any(Number), name: 'Books & Media', slug: 'books-media', description: 'Reading', products_count: 0, parent: null });
    const id = created.body.id as number;

    const renamed = await request(api.app).patch(item(id)).set(auth).send({ name: 'Books and Media' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Books and Media', slug: 'books-media', description: 'Reading' });

    const replaced = await request(api.app).put(item(id)).set(auth).send({ name: 'Reading' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.name).toBe('Reading');
    expect((await request(api.app).get(`/api/v1/categories/${id}/`)).body.name).toBe('Reading');

    const deleted = await request(api.app).delete(item(id)).set(auth);
    expect(deleted.status).toBe(204);
    expect((await request(api.app).get(`/api/v1/categories/${id}/`)).body).toEqual(NO_CATEGORY);
    const again = await request(api.app).delete(item(id)).set(auth);
    expect(again.status).toBe(404);
    expect(again.body).toEqual(NO_CATEGORY);
  });
});

describe('category writes: rules', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  const auth = () => bearer(staff.access);
  const create = (body: Record<string, unknown>) => request(api.app).post('/api/v1/admin/categories').set(auth()).send(body);
  const patch = (id: number, body: Record<string, unknown>) => request(api.app).patch(`/api/v1/admin/categories/${id}`).set(auth()).send(body);
  const remove = (id: number, query = '') => request(api.app).delete(`/api/v1/admin/categories/${id}${query}`).set(auth());
  const categoryCount = async () => Number(((await api.db('categories').count({ count: '*' })) as [{ count: number }])[0].count);

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  it('When a name differs from an existing one only by case, then 400 category with this name already exists.', async () => {
    expect((await create({ name: 'Garden' })).status).toBe(201);
    const before = await categoryCount();
    for (const name of ['garden', 'GARDEN', ' Garden ']) {
      const response = await create({ name });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ name: ['category with this name already exists.'], code: 'unique' });
    }
    expect(await categoryCount()).toBe(before);
    const other = await create({ name: 'Shed' });
    const renamed = await patch(other.body.id, { name: 'gARDEN' });
    expect(renamed.status).toBe(400);
    expect(renamed.body).toEqual({ name: ['category with this name already exists.'], code: 'unique' });
  });

  it('When names slugify alike, then slugs are de-duplicated; an explicit taken slug is 400', async () => {
    const first = await create({ name: 'Home & Living' });
    const second = await create({ name: 'Home Living' });
    expect([first.body.slug, second.body.slug]).toEqual(['home-living', 'home-living-2']);
    const taken = await create({ name: 'Elsewhere', slug: 'home-living' });
    expect(taken.status).toBe(400);
    expect(taken.body).toEqual({ slug: ['category with this slug already exists.'], code: 'unique' });
  });

  it.each(['search', 'latest', '2024'])('When the explicit slug is %s, then 400 (unreachable by URL)', async (slug) => {
    const response = await create({ name: `Slug ${slug}`, slug });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ slug: ['This slug is reserved or only digits; it could not be reached by URL.'], code: 'invalid' });
  });

  it('When name is missing or blank, then 400 names the field', async () => {
    expect((await create({})).body).toEqual({ name: ['This field is required.'], code: 'invalid' });
    expect((await create({ name: '   ' })).body).toEqual({ name: ['This field may not be blank.'], code: 'invalid' });
    const existing = await create({ name: 'Needs a name' });
    const put = await request(api.app).put(`/api/v1/admin/categories/${existing.body.id}`).set(auth()).send({ description: 'x' });
    expect(put.status).toBe(400);
    expect(put.body).toEqual({ name: ['This field is required.'], code: 'invalid' });
  });

  it('When a parent is given, then the child is counted in the parent; an unknown parent is 400', async () => {
    const parent = await create({ name: 'Outdoor' });
    const child = await create({ name: 'Tents', parent: parent.body.id });
    expect(child.status).toBe(201);
    expect(child.body.parent).toBe(parent.body.id);
    await insertProducts(api, [{ title: 'Dome tent', category_id: child.body.id }]);
    expect((await request(api.app).get(`/api/v1/categories/${parent.body.id}/`)).body.products_count).toBe(1);
    const orphan = await create({ name: 'Orphan', parent: 999999 });
    expect(orphan.status).toBe(400);
    expect(orphan.body).toEqual({ parent: ['Invalid pk "999999" - object does not exist.'], code: 'invalid' });
    const detached = await patch(child.body.id, { parent: null });
    expect(detached.body.parent).toBeNull();
  });

  it('When a category would become its own ancestor, then 400 and the tree is unchanged', async () => {
    const top = await create({ name: 'Top' });
    const middle = await create({ name: 'Middle', parent: top.body.id });
    const bottom = await create({ name: 'Bottom', parent: middle.body.id });
    for (const parent of [top.body.id, middle.body.id, bottom.body.id]) {
      const response = await patch(top.body.id, { parent });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ parent: ['A category cannot be placed under itself or one of its subcategories.'], code: 'invalid' });
    }
    expect(await api.db('categories').where({ id: top.body.id }).first('parent_id')).toEqual({ parent_id: null });
  });

  it('When a category with products is deleted, then 409 category_not_empty and nothing changes', async () => {
    const full = await create({ name: 'Full' });
    await insertProducts(api, [
      { title: 'Kept 1', category_id: full.body.id },
      { title: 'Kept 2', category_id: full.body.id, is_active: false },
    ]);
    const response = await remove(full.body.id);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'category_not_empty', products: 2, subcategories: 0 });
    expect(response.body.detail).toEqual(expect.stringContaining('move_to'));
    expect(await api.db('categories').where({ id: full.body.id })).toHaveLength(1);
    expect(await api.db('products').where({ category_id: full.body.id })).toHaveLength(2);
  });

  it('When a category with only an inactive product or only a subcategory is deleted, then it is still refused', async () => {
    const quiet = await create({ name: 'Quiet' });
    await insertProducts(api, [{ title: 'Inactive only', category_id: quiet.body.id, is_active: false }]);
    expect((await remove(quiet.body.id)).status).toBe(409);
    const parent = await create({ name: 'Has child' });
    await create({ name: 'The child', parent: parent.body.id });
    const response = await remove(parent.body.id);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'category_not_empty', products: 0, subcategories: 1 });
  });

  it('When deleting with ?move_to, then products and subcategories move and the category is gone', async () => {
    const source = await create({ name: 'Source' });
    const target = await create({ name: 'Target' });
    const sub = await create({ name: 'Source sub', parent: source.body.id });
    const products = await insertProducts(api, [
      { title: 'Mover 1', category_id: source.body.id },
      { title: 'Mover 2', category_id: source.body.id },
      { title: 'Stays in sub', category_id: sub.body.id },
    ]);
    const response = await remove(source.body.id, `?move_to=${target.body.id}`);
    expect(response.status).toBe(204);
    expect(await api.db('categories').where({ id: source.body.id })).toHaveLength(0);
    const moved = await api.db('products').whereIn('id', products.map((product) => product.id)).orderBy('id').pluck('category_id');
    expect(moved).toEqual([target.body.id, target.body.id, sub.body.id]);
    expect(await api.db('categories').where({ id: sub.body.id }).first('parent_id')).toEqual({ parent_id: target.body.id });
    const view = await request(api.app).get(`/api/v1/categories/${target.body.id}/`);
    expect(view.body.products_count).toBe(3);
    const listed = await request(api.app).get(`/api/v1/categories/${target.body.id}/products/`);
    expect(listed.body.count).toBe(3);
  });

  it('When move_to is the category itself, unknown, one of its subcategories or not a number, then 400 and nothing moves', async () => {
    const source = await create({ name: 'Stubborn' });
    const sub = await create({ name: 'Stubborn sub', parent: source.body.id });
    await insertProducts(api, [{ title: 'Stuck', category_id: source.body.id }]);
    for (const moveTo of [source.body.id, 999999, sub.body.id]) {
      const response = await remove(source.body.id, `?move_to=${moveTo}`);
      expect(response.status).toBe(400);
      expect(Object.keys(response.body)).toEqual(['move_to', 'code']);
    }
    expect((await remove(source.body.id, '?move_to=abc')).status).toBe(400);
    expect(await api.db('products').where({ title: 'Stuck' }).first('category_id')).toEqual({ category_id: source.body.id });
    expect(await api.db('categories').where({ id: sub.body.id }).first('parent_id')).toEqual({ parent_id: source.body.id });
  });

  it('When an empty category is deleted, then 204 and it is gone from the public list', async () => {
    const empty = await create({ name: 'Empty one' });
    expect((await remove(empty.body.id)).status).toBe(204);
    const names = pluck(await request(api.app).get('/api/v1/categories/?page=last'), 'name');
    expect(names).not.toContain('Empty one');
  });

  it('When five categories whose names slugify alike are created at once, then all get 201 with distinct slugs', async () => {
    const names = ['Books & Media', 'Books Media', 'Books / Media', 'Books: Media', 'Books + Media'];
    const responses = await Promise.all(names.map((name) => create({ name })));
    expect(responses.map((response) => response.status)).toEqual([201, 201, 201, 201, 201]);
    expect(responses.map((response) => response.body.slug as string).sort()).toEqual(['books-media', 'books-media-2', 'books-media-3', 'books-media-4', 'books-media-5']);
  });

  it('When the same name is created five times at once, then exactly one succeeds and the rest get 400', async () => {
    const responses = await Promise.all(Array.from({ length: 5 }, () => create({ name: 'Only once' })));
    expect(responses.map((response) => response.status).sort()).toEqual([201, 400, 400, 400, 400]);
    for (const response of responses.filter((candidate) => candidate.status === 400)) {
      expect(response.body).toEqual({ name: ['category with this name already exists.'], code: 'unique' });
    }
  });
});
