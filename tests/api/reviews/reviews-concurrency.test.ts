import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, type ProductRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import {
  ALREADY_REVIEWED,
  countRows,
  CREATE,
  dismiss,
  expectedAverage,
  expectedStats,
  helpful,
  hide,
  LIST,
  productStats,
  ratingMismatches,
  recountedRating,
  report,
  reportReview,
  resolve,
  restore,
  review,
  reviewRecord,
  storedRating,
  updatePath,
  writeReview,
} from './review-helpers';

/** Real PostgreSQL, real concurrent requests: the unique index, row locks and rating triggers decide. */
describe('reviews under concurrent requests', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let categoryId: number;
  let crowd: RegisteredUser[];
  let sequence = 0;

  beforeAll(async () => {
    api = await startTestApi();
    staff = await registerStaff(api);
    categoryId = (await insertCategory(api, { name: 'Crowded' })).id;
    crowd = await Promise.all(Array.from({ length: 30 }, () => registerUser(api)));
  });
  afterAll(() => api.close());

  async function product(): Promise<ProductRecord> {
    sequence += 1;
    return insertProduct(api, { title: `Busy ${sequence}`, category_id: categoryId });
  }

  it('When one user sends 10 reviews of the same product at once, then exactly one 201 and nine "already reviewed" 400s (never a 500), three times over', async () => {
    const user = crowd[0] as RegisteredUser;
    for (let round = 0; round < 3; round += 1) {
      const item = await product();
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          request(api.app)
            .post(index % 2 === 0 ? CREATE : LIST)
            .set(bearer(user.access))
            .send({ product: item.id, rating: (index % 5) + 1, comment: `Attempt ${index}` }),
        ),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
      for (const response of responses.filter((r) => r.status === 400)) expect(response.body).toEqual(ALREADY_REVIEWED);
      const winner = responses.find((response) => response.status === 201) as request.Response;
      expect(await countRows(api, 'reviews', { product_id: item.id })).toBe(1);
      expect(await reviewRecord(api, winner.body.id)).toMatchObject({ user_id: user.id, product_id: item.id, rating: winner.body.rating, comment: winner.body.comment });
      const ratings = [0, 0, 0, 0, 0];
      ratings[(winner.body.rating as number) - 1] = 1;
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: ratings, average_rating: winner.body.rating });
    }
  });

  it('When 30 users review one product at once, then reviews_count is 30 and the average and distribution are exact', async () => {
    const item = await product();
    const ratings = crowd.map((_, index) => [5, 4, 4, 3, 1, 2, 4][index % 7] as number);
    const responses = await Promise.all(crowd.map((user, index) => request(api.app).post(CREATE).set(bearer(user.access)).send({ product: item.id, rating: ratings[index] })));
    expect(responses.map((response) => response.status)).toEqual(crowd.map(() => 201));
    const average = expectedAverage(ratings);
    // 30 ratings summing to 101: 3.3666… → 3.37.
    expect(ratings.reduce((sum, value) => sum + value, 0)).toBe(101);
    expect(average).toBe(3.37);
    expect(await storedRating(api, item.id)).toEqual({ reviews_count: 30, rating_counts: [4, 4, 4, 13, 5], average_rating: 3.37 });
    expect(await recountedRating(api, item.id)).toEqual(await storedRating(api, item.id));
    expect((await request(api.app).get(productStats(item.id))).body).toEqual(expectedStats(ratings));
    expect((await request(api.app).get(`/api/v1/products/${item.id}/`)).body).toMatchObject({ average_rating: 3.37, reviews_count: 30 });
  });

  it('When 20 users vote the same review helpful at once, then helpful_count is 20 with 20 vote rows', async () => {
    const item = await product();
    const target = await writeReview(api, crowd[0] as RegisteredUser, item.id, 5);
    const voters = crowd.slice(1, 21);
    const responses = await Promise.all(voters.map((user) => request(api.app).post(helpful(target.id)).set(bearer(user.access)).send({})));
    expect(responses.map((response) => response.status)).toEqual(voters.map(() => 200));
    expect(responses.map((response) => response.body.helpful_count as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(await countRows(api, 'review_votes', { review_id: target.id })).toBe(20);
    expect((await reviewRecord(api, target.id))?.helpful_count).toBe(20);
    expect((await request(api.app).get(review(target.id))).body.helpful_count).toBe(20);
  });

  it('When one user sends {"helpful": true} 10 times at once, then the count is 1 with one vote row', async () => {
    const item = await product();
    const target = await writeReview(api, crowd[0] as RegisteredUser, item.id, 4);
    const voter = crowd[1] as RegisteredUser;
    const responses = await Promise.all(Array.from({ length: 10 }, () => request(api.app).post(helpful(target.id)).set(bearer(voter.access)).send({ helpful: true })));
    for (const response of responses) expect(response.body).toEqual({ message: 'Review marked as helpful.', review_id: target.id, helpful: true, helpful_count: 1 });
    expect(await countRows(api, 'review_votes', { review_id: target.id })).toBe(1);
    expect((await reviewRecord(api, target.id))?.helpful_count).toBe(1);
  });

  it('When one user toggles a vote 10 times at once, then the toggles alternate and the count ends matching the rows (0)', async () => {
    const item = await product();
    const target = await writeReview(api, crowd[0] as RegisteredUser, item.id, 4);
    const voter = crowd[2] as RegisteredUser;
    const responses = await Promise.all(Array.from({ length: 10 }, () => request(api.app).post(helpful(target.id)).set(bearer(voter.access))));
    expect(responses.map((response) => response.status)).toEqual(Array.from({ length: 10 }, () => 200));
    expect(responses.filter((response) => response.body.helpful === true)).toHaveLength(5);
    expect(await countRows(api, 'review_votes', { review_id: target.id })).toBe(0);
    expect((await reviewRecord(api, target.id))?.helpful_count).toBe(0);
  });

  it('When one user reports the same review 8 times at once, then one report is stored and the rest get 409', async () => {
    const item = await product();
    const target = await writeReview(api, crowd[0] as RegisteredUser, item.id, 1);
    const reporter = crowd[3] as RegisteredUser;
    const responses = await Promise.all(Array.from({ length: 8 }, () => request(api.app).post(report(target.id)).set(bearer(reporter.access)).send({ reason: 'spam' })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    expect(await countRows(api, 'review_reports', { review_id: target.id })).toBe(1);
  });

  it('When a moderator resolves and dismisses the same report at once, then exactly one wins and the other gets 409', async () => {
    const item = await product();
    const target = await writeReview(api, crowd[0] as RegisteredUser, item.id, 1);
    const reportId = await reportReview(api, crowd[4] as RegisteredUser, target.id);
    const [resolved, dismissed] = await Promise.all([
      request(api.app).post(resolve(reportId)).set(bearer(staff.access)).send({ hide_review: true }),
      request(api.app).post(dismiss(reportId)).set(bearer(staff.access)).send({}),
    ]);
    expect([resolved.status, dismissed.status].sort()).toEqual([200, 409]);
    const row = await api.db('review_reports').where({ id: reportId }).first<{ status: string }>('status');
    expect(row.status).toBe(resolved.status === 200 ? 'resolved' : 'dismissed');
    expect((await reviewRecord(api, target.id))?.is_hidden).toBe(resolved.status === 200);
    expect(await storedRating(api, item.id)).toEqual(await recountedRating(api, item.id));
  });

  it('When staff hide a review while its author changes the rating, then the product\'s counts match a recount (10 rounds)', async () => {
    const item = await product();
    const authors = crowd.slice(0, 10);
    const written = await Promise.all(authors.map((user, index) => writeReview(api, user, item.id, (index % 5) + 1)));
    for (const [index, target] of written.entries()) {
      const user = authors[index] as RegisteredUser;
      const [hidden, updated] = await Promise.all([
        request(api.app).post(hide(target.id)).set(bearer(staff.access)).send({ note: `Round ${index}` }),
        request(api.app).patch(updatePath(target.id)).set(bearer(user.access)).send({ rating: 5 - (index % 5) }),
      ]);
      expect([hidden.status, updated.status]).toEqual([200, 200]);
      expect(await reviewRecord(api, target.id)).toMatchObject({ is_hidden: true, rating: 5 - (index % 5) });
      expect(await storedRating(api, item.id)).toEqual(await recountedRating(api, item.id));
    }
    expect(await storedRating(api, item.id)).toEqual({ reviews_count: 0, rating_counts: [0, 0, 0, 0, 0], average_rating: 0 });
    // And back: restores racing with more edits.
    await Promise.all(
      written.flatMap((target, index) => [
        request(api.app).post(restore(target.id)).set(bearer(staff.access)).send({}),
        request(api.app).put(updatePath(target.id)).set(bearer((authors[index] as RegisteredUser).access)).send({ rating: 3 }),
      ]),
    );
    expect(await storedRating(api, item.id)).toEqual({ reviews_count: 10, rating_counts: [0, 0, 10, 0, 0], average_rating: 3 });
    expect(await recountedRating(api, item.id)).toEqual(await storedRating(api, item.id));
  });

  it('When creates, updates, deletes, hides and votes all race on two products, then every product matches a recount', async () => {
    const [first, second] = [await product(), await product()];
    const seeded = await Promise.all(crowd.slice(0, 12).map((user, index) => writeReview(api, user, index % 2 === 0 ? first.id : second.id, (index % 5) + 1)));
    const operations = [
      ...crowd.slice(12, 24).map((user, index) => request(api.app).post(CREATE).set(bearer(user.access)).send({ product: index % 2 === 0 ? first.id : second.id, rating: ((index + 2) % 5) + 1 })),
      ...seeded.slice(0, 4).map((target, index) => request(api.app).patch(updatePath(target.id)).set(bearer((crowd[index] as RegisteredUser).access)).send({ rating: 1 })),
      ...seeded.slice(4, 7).map((target, index) => request(api.app).delete(review(target.id)).set(bearer((crowd[index + 4] as RegisteredUser).access))),
      ...seeded.slice(7, 10).map((target) => request(api.app).post(hide(target.id)).set(bearer(staff.access)).send({})),
      ...[...seeded.slice(0, 4), ...seeded.slice(10, 12)].map((target) => request(api.app).post(helpful(target.id)).set(bearer((crowd[29] as RegisteredUser).access)).send({ helpful: true })),
    ];
    const responses = await Promise.all(operations);
    expect(responses.filter((response) => response.status >= 500)).toEqual([]);
    expect(responses.map((response) => response.status)).toEqual([...Array(12).fill(201), ...Array(4).fill(200), ...Array(3).fill(204), ...Array(3).fill(200), ...Array(6).fill(200)]);
    expect(await ratingMismatches(api)).toEqual([]);
    expect((await storedRating(api, first.id)).reviews_count + (await storedRating(api, second.id)).reviews_count).toBe(12 + 12 - 3 - 3);
  });
});
