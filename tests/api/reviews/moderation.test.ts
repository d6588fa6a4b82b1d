import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, ISO_MICROS, NOT_AUTHENTICATED, PERMISSION_DENIED, registerStaff, type ProductRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import {
  dismiss,
  hide,
  idsOf,
  LIST,
  NO_REPORT,
  NO_REVIEW,
  OWN,
  productReviews,
  productStats,
  recountedRating,
  REPORT_KEYS,
  reportReview,
  REPORTS,
  resolve,
  restore,
  review,
  REVIEW_KEYS,
  reviewRecord,
  storedRating,
  updatePath,
  userReviews,
  writeReview,
  type ReviewBody,
} from './review-helpers';

const HOST = 'shop.test';

interface ReportBody {
  id: number;
  review: ReviewBody;
  reporter: number;
  reason: string;
  description: string;
  status: string;
  created_at: string;
  handled_at: string | null;
  handled_by: number | null;
  resolution_note: string;
}

describe('review moderation', () => {
  let api: TestApi;
  let categoryId: number;
  let staff: RegisteredUser;
  let author: RegisteredUser;
  let reporter: RegisteredUser;
  let sequence = 0;

  beforeAll(async () => {
    api = await startTestApi();
    categoryId = (await insertCategory(api, { name: 'Books' })).id;
    staff = await registerStaff(api);
    author = await registerUser(api);
    reporter = await registerUser(api);
  });
  afterAll(() => api.close());

  async function product(): Promise<ProductRecord> {
    sequence += 1;
    return insertProduct(api, { title: `Novel ${sequence}`, category_id: categoryId });
  }

  async function reportRow(id: number): Promise<{ status: string; handled_by: number | null; resolution_note: string; handled_at: Date | null }> {
    return api.db('review_reports').where({ id }).first('status', 'handled_by', 'resolution_note', 'handled_at');
  }

  describe('permissions', () => {
    it('When a customer or nobody calls a moderation route, then 403 / 401 and nothing changes', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 2);
      const reportId = await reportReview(api, reporter, target.id);
      const calls = (headers: Record<string, string>) => [
        request(api.app).get(REPORTS).set(headers),
        request(api.app).get(`${REPORTS}?status=all`).set(headers),
        request(api.app).post(resolve(reportId)).set(headers).send({ hide_review: true }),
        request(api.app).post(dismiss(reportId)).set(headers).send({}),
        request(api.app).post(hide(target.id)).set(headers).send({}),
        request(api.app).post(restore(target.id)).set(headers).send({}),
      ];
      for (const response of await Promise.all(calls({}))) {
        expect(response.status).toBe(401);
        expect(response.body).toEqual(NOT_AUTHENTICATED);
      }
      // The review's own author and the reporter are customers too.
      for (const customer of [reporter, author]) {
        for (const response of await Promise.all(calls(bearer(customer.access)))) {
          expect(response.status).toBe(403);
          expect(response.body).toEqual(PERMISSION_DENIED);
        }
      }
      expect(await reportRow(reportId)).toMatchObject({ status: 'open', handled_by: null });
      expect(await reviewRecord(api, target.id)).toMatchObject({ is_hidden: false });
    });
  });

  describe('GET /reviews/moderation/reports/', () => {
    let queueApi: TestApi;
    let queueStaff: RegisteredUser;
    let reportIds: { open: number[]; resolved: number; dismissed: number };
    let reviewed: ReviewBody;
    let queueAuthor: RegisteredUser;

    beforeAll(async () => {
      // Its own database, so the whole queue is known.
      queueApi = await startTestApi();
      queueStaff = await registerStaff(queueApi);
      queueAuthor = await registerUser(queueApi);
      const category = await insertCategory(queueApi, { name: 'Queue' });
      const item = await insertProduct(queueApi, { title: 'Queued', category_id: category.id });
      reviewed = await writeReview(queueApi, queueAuthor, item.id, 1, 'Awful');
      const users = [await registerUser(queueApi), await registerUser(queueApi), await registerUser(queueApi), await registerUser(queueApi)];
      const ids: number[] = [];
      for (const [index, user] of users.entries()) ids.push(await reportReview(queueApi, user, reviewed.id, index % 2 === 0 ? 'spam' : 'fake_review', `Report ${index}`));
      const [r0, r1, r2, r3] = ids as [number, number, number, number];
      expect((await request(queueApi.app).post(resolve(r0)).set(bearer(queueStaff.access)).send({ note: 'Right' })).status).toBe(200);
      expect((await request(queueApi.app).post(dismiss(r1)).set(bearer(queueStaff.access)).send({ note: 'Wrong' })).status).toBe(200);
      reportIds = { open: [r3, r2], resolved: r0, dismissed: r1 };
    });
    afterAll(() => queueApi.close());

    const list = (query = '') => request(queueApi.app).get(`${REPORTS}${query}`).set(bearer(queueStaff.access)).set('Host', HOST);

    it('When staff read the queue, then the open reports come newest first, each with its review (full email) and reporter', async () => {
      const response = await list();
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['count', 'next', 'previous', 'results']);
      expect(response.body.count).toBe(2);
      expect(idsOf(response)).toEqual(reportIds.open);
      const newest = response.body.results[0] as ReportBody;
      expect(Object.keys(newest)).toEqual(REPORT_KEYS);
      expect(Object.keys(newest.review)).toEqual(REVIEW_KEYS);
      expect(newest).toEqual({
        id: reportIds.open[0],
        review: { ...reviewed, user_email: queueAuthor.email },
        reporter: expect.any(Number),
        reason: 'fake_review',
        description: 'Report 3',
        status: 'open',
        created_at: expect.stringMatching(ISO_MICROS),
        handled_at: null,
        handled_by: null,
        resolution_note: '',
      });
      expect((await list('?status=open')).body).toEqual(response.body);
    });

    it('When ?status=resolved, dismissed or all is given, then the queue is filtered accordingly', async () => {
      const resolved = await list('?status=resolved');
      expect(idsOf(resolved)).toEqual([reportIds.resolved]);
      expect(resolved.body.results[0]).toMatchObject({ status: 'resolved', handled_by: queueStaff.id, resolution_note: 'Right', handled_at: expect.stringMatching(ISO_MICROS) });
      const dismissed = await list('?status=dismissed');
      expect(idsOf(dismissed)).toEqual([reportIds.dismissed]);
      expect(dismissed.body.results[0]).toMatchObject({ status: 'dismissed', handled_by: queueStaff.id, resolution_note: 'Wrong' });
      const all = await list('?status=all');
      expect(all.body.count).toBe(4);
      expect(idsOf(all)).toEqual([...reportIds.open, reportIds.dismissed, reportIds.resolved]);
    });

    it.each(['bogus', 'OPEN', ''])('When ?status=%s is given, then 400 with the choice message', async (status) => {
      const response = await list(`?status=${status}`);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ status: [`"${status}" is not a valid choice.`], code: 'invalid' });
    });

    it('When a page beyond the last is asked for, then 404 "Invalid page."', async () => {
      const response = await list('?page=2');
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ detail: 'Invalid page.', code: 'not_found' });
    });
  });

  describe('resolving and dismissing reports', () => {
    it('When staff resolve with hide_review, then the report and the review\'s other open reports are resolved and the review is hidden everywhere', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 1, 'Spammy');
      const keeper = await writeReview(api, reporter, item.id, 5, 'Good');
      const second = await registerUser(api);
      const first = await reportReview(api, reporter, target.id, 'spam', 'Links everywhere');
      const other = await reportReview(api, second, target.id, 'offensive_language');
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 2, rating_counts: [1, 0, 0, 0, 1], average_rating: 3 });
      const cachedStats = () => request(api.app).get(productStats(item.id)).set('Host', HOST);
      await cachedStats();
      expect((await cachedStats()).headers['x-cache']).toBe('HIT');

      const response = await request(api.app).post(resolve(first)).set(bearer(staff.access)).send({ note: '  Spam confirmed  ', hide_review: true });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(REPORT_KEYS);
      expect(response.body).toEqual({
        id: first,
        review: { ...target, is_hidden: true, user_email: author.email },
        reporter: reporter.id,
        reason: 'spam',
        description: 'Links everywhere',
        status: 'resolved',
        created_at: expect.stringMatching(ISO_MICROS),
        handled_at: expect.stringMatching(ISO_MICROS),
        handled_by: staff.id,
        resolution_note: 'Spam confirmed',
      });
      expect(await reviewRecord(api, target.id)).toMatchObject({ is_hidden: true, hidden_by: staff.id, hidden_reason: 'Spam confirmed' });
      expect(await reportRow(other)).toMatchObject({ status: 'resolved', handled_by: staff.id, resolution_note: 'Spam confirmed' });

      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 0, 0, 1], average_rating: 5 });
      const statsAfter = await cachedStats();
      expect(statsAfter.headers['x-cache']).toBe('MISS');
      expect(statsAfter.body).toEqual({ total_reviews: 1, average_rating: 5, rating_distribution: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 1 } });
      expect((await request(api.app).get(`/api/v1/products/${item.id}/`)).body).toMatchObject({ average_rating: 5, reviews_count: 1 });
      expect((await request(api.app).get(productStats(item.id))).body).toEqual({ total_reviews: 1, average_rating: 5, rating_distribution: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 1 } });
      expect(idsOf(await request(api.app).get(productReviews(item.id)))).toEqual([keeper.id]);
      expect(idsOf(await request(api.app).get(`${LIST}?product=${item.id}`))).toEqual([keeper.id]);
      expect(idsOf(await request(api.app).get(userReviews(author.id)))).not.toContain(target.id);
      const publicDetail = await request(api.app).get(review(target.id));
      expect(publicDetail.status).toBe(404);
      expect(publicDetail.body).toEqual(NO_REVIEW);
      const own = await request(api.app).get(OWN).set(bearer(author.access));
      expect((own.body.results as ReviewBody[]).find((r) => r.id === target.id)).toMatchObject({ is_hidden: true, rating: 1 });
    });

    it('When staff resolve without hide_review (or with false), then the report is resolved and the review stays visible', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 3);
      for (const body of [{}, { hide_review: false, note: 'Edited by author' }]) {
        const reportId = await reportReview(api, reporter, target.id, 'other');
        const response = await request(api.app).post(resolve(reportId)).set(bearer(staff.access)).send(body);
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ status: 'resolved', handled_by: staff.id, review: { id: target.id, is_hidden: false } });
      }
      expect(await reviewRecord(api, target.id)).toMatchObject({ is_hidden: false, hidden_by: null });
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 1, 0, 0], average_rating: 3 });
    });

    it('When staff dismiss a report, then it is dismissed with the note and the review stays visible; other open reports stay open', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 4);
      const reportId = await reportReview(api, reporter, target.id, 'fake_review');
      const otherReport = await reportReview(api, await registerUser(api), target.id, 'spam');
      const response = await request(api.app).post(dismiss(reportId)).set(bearer(staff.access)).send({ note: 'Genuine buyer' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: reportId, status: 'dismissed', handled_by: staff.id, resolution_note: 'Genuine buyer', review: { id: target.id, is_hidden: false } });
      expect(await reportRow(otherReport)).toMatchObject({ status: 'open', handled_by: null });
      expect((await request(api.app).get(review(target.id))).status).toBe(200);
    });

    it('When a closed report is closed again, then 409 invalid_transition and it keeps its first outcome', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 4);
      const resolvedId = await reportReview(api, reporter, target.id);
      await request(api.app).post(resolve(resolvedId)).set(bearer(staff.access)).send({ note: 'First' });
      for (const close of [resolve, dismiss]) {
        const response = await request(api.app).post(close(resolvedId)).set(bearer(staff.access)).send({ note: 'Second', hide_review: true });
        expect(response.status).toBe(409);
        expect(response.body).toEqual({ detail: 'This report is already resolved.', code: 'invalid_transition' });
      }
      const dismissedId = await reportReview(api, reporter, target.id);
      await request(api.app).post(dismiss(dismissedId)).set(bearer(staff.access)).send({});
      const again = await request(api.app).post(resolve(dismissedId)).set(bearer(staff.access)).send({ hide_review: true });
      expect(again.status).toBe(409);
      expect(again.body).toEqual({ detail: 'This report is already dismissed.', code: 'invalid_transition' });
      expect(await reportRow(resolvedId)).toMatchObject({ status: 'resolved', resolution_note: 'First' });
      expect(await reviewRecord(api, target.id)).toMatchObject({ is_hidden: false });
    });

    it('When the report does not exist, then 404 "No ReviewReport matches the given query."', async () => {
      for (const close of [resolve, dismiss]) {
        const response = await request(api.app).post(close(999999)).set(bearer(staff.access)).send({});
        expect(response.status).toBe(404);
        expect(response.body).toEqual(NO_REPORT);
      }
    });

    it('When the note is too long or hide_review is not a boolean, then 400 and the report stays open', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 4);
      const reportId = await reportReview(api, reporter, target.id);
      const long = await request(api.app).post(resolve(reportId)).set(bearer(staff.access)).send({ note: 'n'.repeat(1001) });
      expect(long.status).toBe(400);
      expect(long.body).toEqual({ note: ['Ensure this field has no more than 1000 characters.'], code: 'invalid' });
      const nul = await request(api.app).post(dismiss(reportId)).set(bearer(staff.access)).send({ note: 'a\u0000b' });
      expect(nul.status).toBe(400);
      expect(nul.body).toEqual({ note: ['Null characters are not allowed.'], code: 'invalid' });
      const notBoolean = await request(api.app).post(resolve(reportId)).set(bearer(staff.access)).send({ hide_review: 'sure' });
      expect(notBoolean.status).toBe(400);
      expect(notBoolean.body).toEqual({ hide_review: ['Must be a valid boolean.'], code: 'invalid' });
      expect(await reportRow(reportId)).toMatchObject({ status: 'open' });
    });

    it('When a report asks to hide a review that is already hidden, then the report is resolved and the review stays hidden', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 2);
      const reportId = await reportReview(api, reporter, target.id);
      // Hidden behind the API's back, so the report is still open.
      await api.db('reviews').where({ id: target.id }).update({ is_hidden: true });
      const response = await request(api.app).post(resolve(reportId)).set(bearer(staff.access)).send({ hide_review: true });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ status: 'resolved', review: { is_hidden: true } });
    });
  });

  describe('hiding and restoring reviews', () => {
    it('When staff hide a review, then 200 with the review (is_hidden), its open reports are resolved, closed ones untouched, and ratings follow', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 1);
      const kept = await writeReview(api, reporter, item.id, 4);
      const dismissedId = await reportReview(api, reporter, target.id, 'spam');
      await request(api.app).post(dismiss(dismissedId)).set(bearer(staff.access)).send({ note: 'Not spam' });
      const openId = await reportReview(api, reporter, target.id, 'offensive_language');

      const response = await request(api.app).post(hide(target.id)).set(bearer(staff.access)).send({});
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(REVIEW_KEYS);
      expect(response.body).toEqual({ ...target, is_hidden: true, user_email: author.email });
      expect(await reviewRecord(api, target.id)).toMatchObject({ is_hidden: true, hidden_by: staff.id, hidden_reason: '' });
      expect(await reportRow(openId)).toMatchObject({ status: 'resolved', handled_by: staff.id, resolution_note: 'Review hidden.' });
      expect(await reportRow(dismissedId)).toMatchObject({ status: 'dismissed', resolution_note: 'Not spam' });
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 0, 1, 0], average_rating: 4 });
      expect(idsOf(await request(api.app).get(productReviews(item.id)))).toEqual([kept.id]);
    });

    it('When staff hide with a note, then the note is kept as the reason and on the resolved reports', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 1);
      const openId = await reportReview(api, reporter, target.id);
      const response = await request(api.app).post(hide(target.id)).set(bearer(staff.access)).send({ note: 'Personal data' });
      expect(response.status).toBe(200);
      expect(await reviewRecord(api, target.id)).toMatchObject({ is_hidden: true, hidden_reason: 'Personal data' });
      expect(await reportRow(openId)).toMatchObject({ status: 'resolved', resolution_note: 'Personal data' });
    });

    it('When a hidden review is hidden again or a visible one restored, then 409 invalid_transition', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 3);
      const notHidden = await request(api.app).post(restore(target.id)).set(bearer(staff.access)).send({});
      expect(notHidden.status).toBe(409);
      expect(notHidden.body).toEqual({ detail: 'This review is not hidden.', code: 'invalid_transition' });
      expect((await request(api.app).post(hide(target.id)).set(bearer(staff.access)).send({})).status).toBe(200);
      const twice = await request(api.app).post(hide(target.id)).set(bearer(staff.access)).send({});
      expect(twice.status).toBe(409);
      expect(twice.body).toEqual({ detail: 'This review is already hidden.', code: 'invalid_transition' });
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 0, rating_counts: [0, 0, 0, 0, 0], average_rating: 0 });
    });

    it('When the review does not exist, then hide and restore answer 404', async () => {
      for (const path of [hide(999999), restore(999999)]) {
        const response = await request(api.app).post(path).set(bearer(staff.access)).send({});
        expect(response.status).toBe(404);
        expect(response.body).toEqual(NO_REVIEW);
      }
    });

    it('When a review is hidden then restored, then every public view loses it and gets it back, through the cache', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 5, 'Back soon');
      const other = await writeReview(api, reporter, item.id, 2);
      const get = (path: string) => request(api.app).get(path).set('Host', HOST);
      const views = {
        product: `/api/v1/products/${item.id}/`,
        stats: productStats(item.id),
        list: productReviews(item.id),
        all: `${LIST}?product=${item.id}`,
        user: userReviews(author.id),
      };
      const snapshot = async (expectCache: string) => {
        const out: Record<string, request.Response> = {};
        for (const [name, path] of Object.entries(views)) {
          out[name] = await get(path);
          expect([name, out[name]?.headers['x-cache']]).toEqual([name, expectCache]);
        }
        return out as Record<keyof typeof views, request.Response>;
      };

      const visible = await snapshot('MISS');
      expect(visible.product.body).toMatchObject({ average_rating: 3.5, reviews_count: 2 });
      expect(visible.stats.body).toEqual({ total_reviews: 2, average_rating: 3.5, rating_distribution: { 1: 0, 2: 1, 3: 0, 4: 0, 5: 1 } });
      expect(idsOf(visible.list)).toEqual([other.id, target.id]);
      expect(idsOf(visible.user)).toContain(target.id);
      await snapshot('HIT');

      expect((await request(api.app).post(hide(target.id)).set(bearer(staff.access)).send({ note: 'Checking' })).status).toBe(200);
      const hidden = await snapshot('MISS');
      expect(hidden.product.body).toMatchObject({ average_rating: 2, reviews_count: 1 });
      expect(hidden.stats.body).toEqual({ total_reviews: 1, average_rating: 2, rating_distribution: { 1: 0, 2: 1, 3: 0, 4: 0, 5: 0 } });
      expect(idsOf(hidden.list)).toEqual([other.id]);
      expect(idsOf(hidden.all)).toEqual([other.id]);
      expect(idsOf(hidden.user)).not.toContain(target.id);
      await snapshot('HIT');

      const restored = await request(api.app).post(restore(target.id)).set(bearer(staff.access)).send({});
      expect(restored.status).toBe(200);
      expect(restored.body).toEqual({ ...target, is_hidden: false, user_email: author.email });
      expect(await reviewRecord(api, target.id)).toMatchObject({ is_hidden: false, hidden_by: null, hidden_reason: '' });
      const back = await snapshot('MISS');
      expect(back.product.body).toMatchObject({ average_rating: 3.5, reviews_count: 2 });
      expect(back.stats.body).toEqual(visible.stats.body);
      expect(idsOf(back.list)).toEqual([other.id, target.id]);
      expect(idsOf(back.user)).toContain(target.id);
      expect((await request(api.app).get(review(target.id))).status).toBe(200);
    });

    it('When the author edits a hidden review, then the rating stays out of the product until it is restored with the new rating', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 5);
      await request(api.app).post(hide(target.id)).set(bearer(staff.access)).send({});
      const edited = await request(api.app).patch(updatePath(target.id)).set(bearer(author.access)).send({ rating: 1 });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ rating: 1, is_hidden: true });
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 0, rating_counts: [0, 0, 0, 0, 0], average_rating: 0 });
      await request(api.app).post(restore(target.id)).set(bearer(staff.access)).send({});
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [1, 0, 0, 0, 0], average_rating: 1 });
      expect(await storedRating(api, item.id)).toEqual(await recountedRating(api, item.id));
    });

    it('When the author deletes a hidden review, then it goes without touching the product rating twice', async () => {
      const item = await product();
      const target = await writeReview(api, author, item.id, 2);
      await writeReview(api, reporter, item.id, 4);
      await request(api.app).post(hide(target.id)).set(bearer(staff.access)).send({});
      expect((await request(api.app).delete(review(target.id)).set(bearer(author.access))).status).toBe(204);
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 0, 1, 0], average_rating: 4 });
    });
  });
});
