import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProducts, registerStaff, type ProductRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { countRows, CREATE, deletePath, expectedStats, helpful, hide, productStats, ratingMismatches, recountedRating, report, restore, review, storedRating, updatePath, writeReview } from './review-helpers';

/**
 * The products' denormalised rating columns against a recount from the reviews table, after every kind of
 * write the API and the database can make.
 */
describe('product ratings stay exact', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let categoryId: number;
  let products: ProductRecord[];
  let users: RegisteredUser[];

  beforeAll(async () => {
    api = await startTestApi();
    staff = await registerStaff(api);
    categoryId = (await insertCategory(api, { name: 'Ratings' })).id;
    products = await insertProducts(api, [0, 1, 2, 3].map((index) => ({ title: `Rated ${index}`, category_id: categoryId })));
    users = [];
    for (let index = 0; index < 6; index += 1) users.push(await registerUser(api));
  });
  afterAll(() => api.close());

  it('When reviews are created, updated, deleted, hidden and restored through the API, then every product matches a recount after each step', async () => {
    const [p0, p1, p2] = products as [ProductRecord, ProductRecord, ProductRecord];
    const [u0, u1, u2, u3, u4, u5] = users as [RegisteredUser, RegisteredUser, RegisteredUser, RegisteredUser, RegisteredUser, RegisteredUser];
    const ids: Record<string, number> = {};
    const rate = async (key: string, user: RegisteredUser, productId: number, rating: number): Promise<request.Response> => {
      const response = await request(api.app).post(CREATE).set(bearer(user.access)).send({ product: productId, rating });
      ids[key] = response.body.id as number;
      return response;
    };
    const steps: [string, () => Promise<request.Response>, number][] = [
      ['u0 rates p0 5', () => rate('a', u0, p0.id, 5), 201],
      ['u1 rates p0 4', () => rate('b', u1, p0.id, 4), 201],
      ['u2 rates p0 1', () => rate('c', u2, p0.id, 1), 201],
      ['u3 rates p1 3', () => rate('d', u3, p1.id, 3), 201],
      ['u4 rates p1 2', () => rate('e', u4, p1.id, 2), 201],
      ['u5 rates p2 4', () => rate('f', u5, p2.id, 4), 201],
      ['u0 rates p1 5', () => rate('g', u0, p1.id, 5), 201],
      ['u0 rates p0 again (refused)', () => rate('dup', u0, p0.id, 1), 400],
      ['a: 5 → 2', () => request(api.app).patch(updatePath(ids.a as number)).set(bearer(u0.access)).send({ rating: 2 }), 200],
      ['a: comment only', () => request(api.app).patch(updatePath(ids.a as number)).set(bearer(u0.access)).send({ comment: 'Changed my mind' }), 200],
      ['a: PUT 2 → 3', () => request(api.app).put(review(ids.a as number)).set(bearer(u0.access)).send({ rating: 3, comment: 'Again' }), 200],
      ['hide c', () => request(api.app).post(hide(ids.c as number)).set(bearer(staff.access)).send({}), 200],
      ['c edited while hidden: 1 → 5', () => request(api.app).patch(updatePath(ids.c as number)).set(bearer(u2.access)).send({ rating: 5 }), 200],
      ['vote on b', () => request(api.app).post(helpful(ids.b as number)).set(bearer(u3.access)).send({ helpful: true }), 200],
      ['report b', () => request(api.app).post(report(ids.b as number)).set(bearer(u3.access)).send({ reason: 'spam' }), 200],
      ['delete e', () => request(api.app).delete(deletePath(ids.e as number)).set(bearer(u4.access)), 204],
      ['hide d', () => request(api.app).post(hide(ids.d as number)).set(bearer(staff.access)).send({}), 200],
      ['restore c', () => request(api.app).post(restore(ids.c as number)).set(bearer(staff.access)).send({}), 200],
      ['delete hidden d', () => request(api.app).delete(review(ids.d as number)).set(bearer(u3.access)), 204],
      ['u4 rates p1 again 1', () => rate('h', u4, p1.id, 1), 201],
      ['someone else deletes g (refused)', () => request(api.app).delete(deletePath(ids.g as number)).set(bearer(u1.access)), 404],
      ['hide f (last visible on p2)', () => request(api.app).post(hide(ids.f as number)).set(bearer(staff.access)).send({}), 200],
    ];
    for (const [label, step, status] of steps) {
      const response = await step();
      expect([label, response.status]).toEqual([label, status]);
      expect([label, await ratingMismatches(api)]).toEqual([label, []]);
    }
    // The end state, spelled out: p0 has a=3, b=4, c=5 visible; p1 has g=5, h=1; p2 only the hidden f.
    expect(await storedRating(api, p0.id)).toEqual({ reviews_count: 3, rating_counts: [0, 0, 1, 1, 1], average_rating: 4 });
    expect(await storedRating(api, p1.id)).toEqual({ reviews_count: 2, rating_counts: [1, 0, 0, 0, 1], average_rating: 3 });
    expect(await storedRating(api, p2.id)).toEqual({ reviews_count: 0, rating_counts: [0, 0, 0, 0, 0], average_rating: 0 });
    expect((await request(api.app).get(productStats(p0.id))).body).toEqual(expectedStats([3, 4, 5]));
    expect((await request(api.app).get(productStats(p1.id))).body).toEqual(expectedStats([5, 1]));
    expect((await request(api.app).get(productStats(p2.id))).body).toEqual(expectedStats([]));
  });

  it('When rows are written in bulk by SQL (multi-row insert, multi-product update, delete), then the triggers keep every product exact', async () => {
    const category = await insertCategory(api, { name: 'Bulk' });
    const bulk = await insertProducts(api, [0, 1, 2].map((index) => ({ title: `Bulk ${index}`, category_id: category.id })));
    const reviewers: RegisteredUser[] = [];
    for (let index = 0; index < 8; index += 1) reviewers.push(await registerUser(api));
    const rows = bulk.flatMap((item, productIndex) => reviewers.map((user, userIndex) => ({ user_id: user.id, product_id: item.id, rating: ((userIndex + productIndex) % 5) + 1, is_hidden: userIndex === 7 })));
    await api.db('reviews').insert(rows);
    expect(await ratingMismatches(api)).toEqual([]);
    await api.db('reviews').whereIn('product_id', bulk.map((item) => item.id)).where('rating', '<', 3).update({ rating: api.db.raw('rating + 2') });
    expect(await ratingMismatches(api)).toEqual([]);
    await api.db('reviews').whereIn('product_id', bulk.map((item) => item.id)).whereRaw('user_id % 2 = 0').update({ is_hidden: api.db.raw('NOT is_hidden') });
    expect(await ratingMismatches(api)).toEqual([]);
    await api.db('reviews').where({ product_id: (bulk[0] as ProductRecord).id }).where('rating', 5).delete();
    expect(await ratingMismatches(api)).toEqual([]);
    // A review moved to another product (not possible through the API) still moves its rating.
    const moved = await api.db('reviews').where({ product_id: (bulk[1] as ProductRecord).id, is_hidden: false }).first<{ id: number; user_id: number }>('id', 'user_id');
    await api.db('reviews').where({ product_id: (bulk[2] as ProductRecord).id, user_id: moved.user_id }).delete();
    await api.db('reviews').where({ id: moved.id }).update({ product_id: (bulk[2] as ProductRecord).id });
    expect(await ratingMismatches(api)).toEqual([]);
  });

  it('When a reviewer is deleted (database delete), then their reviews go and the product rating follows', async () => {
    const category = await insertCategory(api, { name: 'Users' });
    const [item, second] = (await insertProducts(api, [{ title: 'Kept product', category_id: category.id }, { title: 'Also reviewed', category_id: category.id }])) as [ProductRecord, ProductRecord];
    const leaving = await registerUser(api);
    const staying = await registerUser(api);
    await writeReview(api, leaving, item.id, 1);
    await writeReview(api, leaving, second.id, 5);
    await writeReview(api, staying, item.id, 4);
    expect(await storedRating(api, item.id)).toEqual({ reviews_count: 2, rating_counts: [1, 0, 0, 1, 0], average_rating: 2.5 });

    await api.db('users').where({ id: leaving.id }).delete();
    expect(await countRows(api, 'reviews', { user_id: leaving.id })).toBe(0);
    expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 0, 1, 0], average_rating: 4 });
    expect(await storedRating(api, second.id)).toEqual({ reviews_count: 0, rating_counts: [0, 0, 0, 0, 0], average_rating: 0 });
    expect(await ratingMismatches(api)).toEqual([]);
  });

  it('When a staff member who hid reviews is deleted, then the reviews stay hidden and out of the rating', async () => {
    const category = await insertCategory(api, { name: 'Moderators' });
    const [item] = (await insertProducts(api, [{ title: 'Moderated', category_id: category.id }])) as [ProductRecord];
    const moderator = await registerStaff(api);
    const target = await writeReview(api, await registerUser(api), item.id, 1);
    await request(api.app).post(hide(target.id)).set(bearer(moderator.access)).send({ note: 'Abuse' });
    await api.db('users').where({ id: moderator.id }).delete();
    expect(await api.db('reviews').where({ id: target.id }).first('is_hidden', 'hidden_by', 'hidden_reason')).toEqual({ is_hidden: true, hidden_by: null, hidden_reason: 'Abuse' });
    expect(await storedRating(api, item.id)).toEqual(await recountedRating(api, item.id));
    expect((await storedRating(api, item.id)).reviews_count).toBe(0);
  });

  it('When a reviewed product is deleted (database delete), then its reviews, votes and reports go without error', async () => {
    const category = await insertCategory(api, { name: 'Doomed' });
    const [item] = (await insertProducts(api, [{ title: 'Doomed product', category_id: category.id }])) as [ProductRecord];
    const [a, b] = [await registerUser(api), await registerUser(api)];
    const first = await writeReview(api, a, item.id, 5);
    await writeReview(api, b, item.id, 2);
    await request(api.app).post(helpful(first.id)).set(bearer(b.access)).send({ helpful: true });
    await request(api.app).post(report(first.id)).set(bearer(b.access)).send({ reason: 'spam' });

    await expect(api.db('products').where({ id: item.id }).delete()).resolves.toBe(1);
    expect(await countRows(api, 'reviews', { product_id: item.id })).toBe(0);
    expect(await countRows(api, 'review_votes', { review_id: first.id })).toBe(0);
    expect(await countRows(api, 'review_reports', { review_id: first.id })).toBe(0);
    expect((await request(api.app).get(review(first.id))).status).toBe(404);
    expect(await ratingMismatches(api)).toEqual([]);
  });

  it('When several reviewed products are deleted in one statement, then the cascade through reviews succeeds and the rest stay exact', async () => {
    const category = await insertCategory(api, { name: 'Doomed together' });
    const items = await insertProducts(api, [0, 1, 2].map((index) => ({ title: `Gone ${index}`, category_id: category.id })));
    const reviewer = await registerUser(api);
    for (const [index, item] of items.entries()) await writeReview(api, reviewer, item.id, index + 2);
    await api.db('products').whereIn('id', items.slice(0, 2).map((item) => item.id)).delete();
    expect(await countRows(api, 'reviews', { user_id: reviewer.id })).toBe(1);
    expect(await storedRating(api, (items[2] as ProductRecord).id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 0, 1, 0], average_rating: 4 });
    expect(await ratingMismatches(api)).toEqual([]);
  });
});
