import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { LIST, NO_REVIEW, OWN, review, userReviews } from './review-helpers';

/** A deactivated product leaves the public catalogue, and its reviews leave the public review pages with it. */
describe('reviews of a product that is no longer active', () => {
  let api: TestApi;
  let author: RegisteredUser;
  let reader: RegisteredUser;
  let staff: RegisteredUser;
  let shownId: number;
  let retiredId: number;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    author = await registerUser(api);
    reader = await registerUser(api);
    staff = await registerStaff(api);
    const category = await insertCategory(api, { name: 'Lamps' });
    const shown = await insertProduct(api, { title: 'Desk lamp', category_id: category.id });
    const retired = await insertProduct(api, { title: 'Old lamp', category_id: category.id });
    for (const product of [shown, retired]) {
      const created = await request(api.app).post('/api/v1/reviews/').set(bearer(author.access)).send({ product: product.id, rating: 4 });
      expect(created.status).toBe(201);
    }
    const ids = await api.db('reviews').orderBy('id').pluck<number[]>('id');
    [shownId, retiredId] = ids as [number, number];
    await api.db('products').where({ id: retired.id }).update({ is_active: false });
  });
  afterAll(() => api.close());

  const idsOf = (response: request.Response) => (response.body.results as { id: number }[]).map((item) => item.id);

  it('is left out of the public list, the product filter and the user list', async () => {
    expect(idsOf(await request(api.app).get(LIST))).toEqual([shownId]);
    const retiredProduct = (await api.db('reviews').where({ id: retiredId }).first<{ product_id: number }>('product_id')).product_id;
    const filtered = await request(api.app).get(`${LIST}?product=${retiredProduct}`);
    expect(filtered.body).toMatchObject({ count: 0, results: [] });
    expect(idsOf(await request(api.app).get(userReviews(author.id)))).toEqual([shownId]);
  });

  it('is 404 to the public and to other users, readable by its author and staff', async () => {
    expect((await request(api.app).get(review(retiredId))).body).toEqual(NO_REVIEW);
    expect((await request(api.app).get(review(retiredId)).set(bearer(reader.access))).status).toBe(404);
    expect((await request(api.app).get(review(retiredId)).set(bearer(author.access))).status).toBe(200);
    expect((await request(api.app).get(review(retiredId)).set(bearer(staff.access))).status).toBe(200);
    expect((await request(api.app).get(review(shownId))).status).toBe(200);
  });

  it('stays in the author\'s own list', async () => {
    expect(idsOf(await request(api.app).get(OWN).set(bearer(author.access))).sort()).toEqual([shownId, retiredId].sort());
  });
});
