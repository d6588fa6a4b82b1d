import request from 'supertest';
import { hasRedis, startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, type ProductRecord } from '../../support/catalog';
import { describeWith } from '../../support/components';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { helpful, writeReview, type ReviewBody } from '../reviews/review-helpers';

const HOST = 'shop.example.com';

/**
 * A write retires the cached responses it changes and no others: a customer's vote or review cannot keep the
 * catalogue cache empty, while everything the write changed is exact at once (staff writes still retire
 * everything). Run against Redis and against the in-process store.
 */
function scopedInvalidation(env: Record<string, string>): () => void {
  return () => {
    let api: TestApi;
    let staff: RegisteredUser;
    let author: RegisteredUser;
    let voter: RegisteredUser;
    let reviewed: ProductRecord;
    let other: ProductRecord;
    let review: ReviewBody;

    beforeAll(async () => {
      api = await startTestApi({ CATALOG_CACHE_TTL: '300', ...env });
      staff = await registerStaff(api);
      author = await registerUser(api);
      voter = await registerUser(api);
      const category = await insertCategory(api, { name: 'Scoped', slug: 'scoped' });
      reviewed = await insertProduct(api, { title: 'Reviewed kettle', slug: 'reviewed-kettle', category_id: category.id });
      other = await insertProduct(api, { title: 'Other kettle', slug: 'other-kettle', category_id: category.id });
      review = await writeReview(api, author, reviewed.id, 4);
      await writeReview(api, voter, other.id, 2);
    });
    afterAll(() => api.close());

    const get = (path: string) => request(api.app).get(`/api/v1${path}`).set('Host', HOST);

    /** The public pages a shop reads all the time: none of them shows a helpful count of `reviewed`. */
    const catalogue = () => ['/products/', '/products/search/?q=kettle', '/categories/', `/products/${reviewed.id}/`, `/products/${other.id}/`, '/products/other-kettle/', `/reviews/product/${other.id}/`, `/reviews/product/${other.id}/stats/`, `/reviews/product/${reviewed.id}/stats/`];

    async function warm(paths: string[]): Promise<void> {
      for (const path of paths) {
        await get(path);
        expect([path, (await get(path)).headers['x-cache']]).toEqual([path, 'HIT']);
      }
    }

    async function expectCache(paths: string[], outcome: 'HIT' | 'MISS'): Promise<void> {
      for (const path of paths) expect([path, (await get(path)).headers['x-cache']]).toEqual([path, outcome]);
    }

    it('When a customer toggles a helpful vote again and again, then the catalogue stays cached and the voted review\'s pages are exact at once', async () => {
      const votedPages = [`/reviews/product/${reviewed.id}/`, `/reviews/?product=${reviewed.id}`, `/reviews/user/${author.id}/`];
      for (let round = 0; round < 10; round += 1) {
        await warm([...catalogue(), ...votedPages]);
        const vote = await request(api.app).post(helpful(review.id)).set(bearer(voter.access)).send({});
        expect(vote.status).toBe(200);
        await expectCache(catalogue(), 'HIT');
        for (const path of votedPages) {
          const page = await get(path);
          expect([path, page.headers['x-cache'], page.body.results[0].helpful_count]).toEqual([path, 'MISS', vote.body.helpful_count]);
        }
      }
    });

    it('When a customer writes, edits and deletes a review, then that product\'s page, review pages and stats and the author\'s page change at once, and lists keep their entries', async () => {
      const writer = await registerUser(api);
      const changed = [`/products/${reviewed.id}/`, '/products/reviewed-kettle/', `/reviews/product/${reviewed.id}/`, `/reviews/product/${reviewed.id}/stats/`, `/reviews/?product=${reviewed.id}`, `/reviews/user/${writer.id}/`];
      const untouched = ['/products/', '/products/search/?q=kettle', '/categories/', `/products/${other.id}/`, `/reviews/product/${other.id}/`, `/reviews/product/${other.id}/stats/`, `/reviews/user/${author.id}/`];
      await warm([...changed, ...untouched]);
      const written = await writeReview(api, writer, reviewed.id, 1);
      await expectCache(untouched, 'HIT');
      expect((await get(`/products/${reviewed.id}/`)).body).toMatchObject({ reviews_count: 2, average_rating: 2.5 });
      expect((await get('/products/reviewed-kettle/')).body).toMatchObject({ reviews_count: 2, average_rating: 2.5 });
      expect((await get(`/reviews/product/${reviewed.id}/stats/`)).body).toMatchObject({ total_reviews: 2 });
      expect((await get(`/reviews/product/${reviewed.id}/`)).body.count).toBe(2);
      expect((await get(`/reviews/?product=${reviewed.id}`)).body.count).toBe(2);
      expect((await get(`/reviews/user/${writer.id}/`)).body.count).toBe(1);

      await warm(changed);
      expect((await request(api.app).patch(`/api/v1/reviews/${written.id}/`).set(bearer(writer.access)).send({ rating: 5 })).status).toBe(200);
      await expectCache(untouched, 'HIT');
      expect((await get(`/products/${reviewed.id}/`)).body).toMatchObject({ reviews_count: 2, average_rating: 4.5 });
      expect((await get(`/reviews/product/${reviewed.id}/stats/`)).body).toMatchObject({ average_rating: 4.5 });

      await warm(changed);
      expect((await request(api.app).delete(`/api/v1/reviews/${written.id}/`).set(bearer(writer.access))).status).toBe(204);
      await expectCache(untouched, 'HIT');
      expect((await get('/products/reviewed-kettle/')).body).toMatchObject({ reviews_count: 1, average_rating: 4 });
      expect((await get(`/reviews/user/${writer.id}/`)).body.count).toBe(0);
    });

    it('When staff change a product or hide a review, then every cached page is recomputed, as before', async () => {
      const everything = [...catalogue(), `/reviews/product/${reviewed.id}/`, `/reviews/user/${author.id}/`, '/reviews/'];
      await warm(everything);
      expect((await request(api.app).patch(`/api/v1/admin/products/${other.id}`).set(bearer(staff.access)).send({ title: 'Renamed kettle' })).status).toBe(200);
      await expectCache(everything, 'MISS');
      await warm(everything);
      expect((await request(api.app).post(`/api/v1/reviews/${review.id}/hide/`).set(bearer(staff.access)).send({ note: 'check' })).status).toBe(200);
      await expectCache(everything, 'MISS');
      expect((await get(`/products/${reviewed.id}/`)).body).toMatchObject({ reviews_count: 0 });
    });
  };
}

describeWith('Redis', hasRedis, 'scoped read-cache invalidation on Redis', scopedInvalidation({}));

describe('scoped read-cache invalidation on the in-process store', scopedInvalidation({ REDIS_URL: '' }));
