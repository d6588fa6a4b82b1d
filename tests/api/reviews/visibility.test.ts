import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { countRows, deletePath, helpful, NO_REVIEW, report, review, reviewRecord, updatePath, writeReview } from './review-helpers';

type State = 'public' | 'hidden' | 'of an inactive product' | 'hidden and of an inactive product';
type Who = 'anonymous' | 'reader' | 'author' | 'staff';
const STATES: State[] = ['public', 'hidden', 'of an inactive product', 'hidden and of an inactive product'];

/**
 * One visibility rule for every review read and write (api/modules/reviews/visibility.ts): a hidden review,
 * or a review of an inactive product, exists only for its author and staff; votes and reports reach public
 * reviews only. Each refused write answers 404 and changes nothing.
 */
describe('review visibility, the same for reads and writes', () => {
  let api: TestApi;
  let categoryId: number;
  let author: RegisteredUser;
  let reader: RegisteredUser;
  let staff: RegisteredUser;
  let sequence = 0;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    categoryId = (await insertCategory(api, { name: 'Garden' })).id;
    author = await registerUser(api);
    reader = await registerUser(api);
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  /** A review by `author` on a fresh product, then put in `state` the way staff would (hide it, retire the product). */
  async function reviewIn(state: State): Promise<number> {
    sequence += 1;
    const product = await insertProduct(api, { title: `Rake ${sequence}`, category_id: categoryId });
    const written = await writeReview(api, author, product.id, 4, 'Sturdy');
    if (state.includes('hidden')) await api.db('reviews').where({ id: written.id }).update({ is_hidden: true });
    if (state.includes('inactive')) await api.db('products').where({ id: product.id }).update({ is_active: false });
    return written.id;
  }

  const token = (who: Who) => (who === 'anonymous' ? {} : bearer({ reader, author, staff }[who].access));

  describe.each(STATES)('a review that is %s', (state) => {
    const visibleToAll = state === 'public';

    it.each<[Who, number]>([
      ['anonymous', visibleToAll ? 200 : 404],
      ['reader', visibleToAll ? 200 : 404],
      ['author', 200],
      ['staff', 200],
    ])('When %s reads it, then %i', async (who, status) => {
      const id = await reviewIn(state);
      const response = await request(api.app).get(review(id)).set(token(who));
      expect(response.status).toBe(status);
      if (status === 404) expect(response.body).toEqual(NO_REVIEW);
    });

    it.each<[Who, number]>([
      ['reader', visibleToAll ? 200 : 404],
      ['staff', visibleToAll ? 200 : 404],
      ['author', visibleToAll ? 400 : 404],
    ])('When %s marks it helpful, then %i, and a refusal stores no vote', async (who, status) => {
      const id = await reviewIn(state);
      const response = await request(api.app).post(helpful(id)).set(token(who)).send({ helpful: true });
      expect(response.status).toBe(status);
      if (status === 404) expect(response.body).toEqual(NO_REVIEW);
      expect(await countRows(api, 'review_votes', { review_id: id })).toBe(status === 200 ? 1 : 0);
      expect((await reviewRecord(api, id))?.helpful_count).toBe(status === 200 ? 1 : 0);
    });

    it.each<[Who, number]>([
      ['reader', visibleToAll ? 200 : 404],
      ['staff', visibleToAll ? 200 : 404],
      ['author', visibleToAll ? 400 : 404],
    ])('When %s reports it, then %i, and a refusal stores no report', async (who, status) => {
      const id = await reviewIn(state);
      const response = await request(api.app).post(report(id)).set(token(who)).send({ reason: 'spam' });
      expect(response.status).toBe(status);
      if (status === 404) expect(response.body).toEqual(NO_REVIEW);
      expect(await countRows(api, 'review_reports', { review_id: id })).toBe(status === 200 ? 1 : 0);
    });

    it('When the author edits or deletes it, then it works (authors see their reviews in every state); others get 404 and change nothing', async () => {
      const id = await reviewIn(state);
      for (const who of ['reader', 'staff'] as const) {
        expect((await request(api.app).patch(updatePath(id)).set(token(who)).send({ rating: 1 })).body).toEqual(NO_REVIEW);
        expect((await request(api.app).delete(deletePath(id)).set(token(who))).body).toEqual(NO_REVIEW);
      }
      expect(await reviewRecord(api, id)).toMatchObject({ rating: 4, comment: 'Sturdy' });

      const edited = await request(api.app).patch(updatePath(id)).set(token('author')).send({ rating: 2 });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ id, rating: 2, is_hidden: state.includes('hidden') });
      expect((await request(api.app).delete(deletePath(id)).set(token('author'))).status).toBe(204);
      expect(await reviewRecord(api, id)).toBeUndefined();
    });
  });

  it('When a product is retired after votes and reports, then its reviews take no more of either, and the old ones stay as they were', async () => {
    sequence += 1;
    const product = await insertProduct(api, { title: `Hoe ${sequence}`, category_id: categoryId });
    const { id } = await writeReview(api, author, product.id, 5);
    expect((await request(api.app).post(helpful(id)).set(token('reader')).send({ helpful: true })).status).toBe(200);
    expect((await request(api.app).post(report(id)).set(token('reader')).send({ reason: 'spam' })).status).toBe(200);

    await api.db('products').where({ id: product.id }).update({ is_active: false });
    const voter = await registerUser(api);
    const refused = [
      await request(api.app).post(helpful(id)).set(bearer(voter.access)).send({ helpful: true }),
      await request(api.app).post(helpful(id)).set(token('reader')).send({ helpful: false }),
      await request(api.app).post(helpful(id)).set(token('reader')).send({}),
      await request(api.app).post(report(id)).set(bearer(voter.access)).send({ reason: 'other', description: 'still here' }),
    ];
    expect(refused.map((response): [number, unknown] => [response.status, response.body])).toEqual(refused.map(() => [404, NO_REVIEW]));
    expect(await countRows(api, 'review_votes', { review_id: id })).toBe(1);
    expect(await countRows(api, 'review_reports', { review_id: id })).toBe(1);
    expect((await reviewRecord(api, id))?.helpful_count).toBe(1);
  });
});
