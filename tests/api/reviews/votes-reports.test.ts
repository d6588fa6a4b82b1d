import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { countRows, dismiss, helpful, NO_REVIEW, productReviews, report, resolve, review, reviewRecord, writeReview, type ReviewBody } from './review-helpers';

const OWN_VOTE = { detail: 'You cannot vote on your own review.', code: 'own_review' };
const OWN_REPORT = { detail: 'You cannot report your own review.', code: 'own_review' };
const ALREADY_REPORTED = { detail: 'You have already reported this review; a moderator will look at it.', code: 'already_reported' };
const REASONS = ['inappropriate_content', 'spam', 'fake_review', 'offensive_language', 'other'];

describe('helpful votes and reports', () => {
  let api: TestApi;
  let categoryId: number;
  let author: RegisteredUser;
  let voter: RegisteredUser;
  let staff: RegisteredUser;
  let sequence = 0;

  beforeAll(async () => {
    api = await startTestApi();
    categoryId = (await insertCategory(api, { name: 'Kitchen' })).id;
    author = await registerUser(api);
    voter = await registerUser(api);
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  /** A fresh review by `author` on a fresh product. */
  async function freshReview(rating = 4): Promise<ReviewBody> {
    sequence += 1;
    const item = await insertProduct(api, { title: `Pan ${sequence}`, category_id: categoryId });
    return writeReview(api, author, item.id, rating, 'Heats evenly');
  }

  async function votes(reviewId: number): Promise<number[]> {
    return (await api.db('review_votes').where({ review_id: reviewId }).orderBy('user_id').select<{ user_id: number }[]>('user_id')).map((row) => row.user_id);
  }

  describe('POST /reviews/{id}/helpful/', () => {
    it('When a user votes without a body, then the vote toggles on and off, stored as a row and in helpful_count', async () => {
      const target = await freshReview();
      const on = await request(api.app).post(helpful(target.id)).set(bearer(voter.access));
      expect(on.status).toBe(200);
      expect(on.body).toEqual({ message: 'Review marked as helpful.', review_id: target.id, helpful: true, helpful_count: 1 });
      expect(await votes(target.id)).toEqual([voter.id]);
      expect((await reviewRecord(api, target.id))?.helpful_count).toBe(1);
      expect((await request(api.app).get(review(target.id))).body.helpful_count).toBe(1);

      const off = await request(api.app).post(helpful(target.id)).set(bearer(voter.access)).send({});
      expect(off.status).toBe(200);
      expect(off.body).toEqual({ message: 'Helpful mark removed.', review_id: target.id, helpful: false, helpful_count: 0 });
      expect(await votes(target.id)).toEqual([]);
      expect((await reviewRecord(api, target.id))?.helpful_count).toBe(0);
    });

    it('When {"helpful": true} is sent twice, then the vote is set once (idempotent); {"helpful": false} removes it, also idempotently', async () => {
      const target = await freshReview();
      for (let round = 0; round < 2; round += 1) {
        const response = await request(api.app).post(helpful(target.id)).set(bearer(voter.access)).send({ helpful: true });
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ message: 'Review marked as helpful.', review_id: target.id, helpful: true, helpful_count: 1 });
      }
      expect(await votes(target.id)).toEqual([voter.id]);
      for (let round = 0; round < 2; round += 1) {
        const response = await request(api.app).post(helpful(target.id)).set(bearer(voter.access)).send({ helpful: false });
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ message: 'Helpful mark removed.', review_id: target.id, helpful: false, helpful_count: 0 });
      }
      expect(await votes(target.id)).toEqual([]);
      expect((await reviewRecord(api, target.id))?.helpful_count).toBe(0);
    });

    it('When several users vote, then the count is the number of voters and each can take back only their own vote', async () => {
      const target = await freshReview();
      const others = [voter, await registerUser(api), await registerUser(api)];
      for (const [index, user] of others.entries()) {
        const response = await request(api.app).post(helpful(target.id)).set(bearer(user.access)).send({ helpful: true });
        expect(response.body.helpful_count).toBe(index + 1);
      }
      const removed = await request(api.app).post(helpful(target.id)).set(bearer(voter.access)).send({ helpful: false });
      expect(removed.body.helpful_count).toBe(2);
      expect(await votes(target.id)).toEqual(others.slice(1).map((user) => user.id).sort((a, b) => a - b));
      expect((await reviewRecord(api, target.id))?.helpful_count).toBe(2);
    });

    it('When the helpful value is form-encoded ("true" / "0"), then it is read as a boolean', async () => {
      const target = await freshReview();
      const on = await request(api.app).post(helpful(target.id)).set(bearer(voter.access)).type('form').send({ helpful: 'true' });
      expect(on.body).toMatchObject({ helpful: true, helpful_count: 1 });
      const off = await request(api.app).post(helpful(target.id)).set(bearer(voter.access)).type('form').send({ helpful: '0' });
      expect(off.body).toMatchObject({ helpful: false, helpful_count: 0 });
    });

    it('When helpful is not a boolean, then 400 and no vote is stored', async () => {
      const target = await freshReview();
      for (const value of ['maybe', 2, [true]]) {
        const response = await request(api.app).post(helpful(target.id)).set(bearer(voter.access)).send({ helpful: value });
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ helpful: ['Must be a valid boolean.'], code: 'invalid' });
      }
      expect(await votes(target.id)).toEqual([]);
    });

    it('When the author votes on their own review, then 400 own_review and nothing is stored', async () => {
      const target = await freshReview();
      for (const body of [{}, { helpful: true }]) {
        const response = await request(api.app).post(helpful(target.id)).set(bearer(author.access)).send(body);
        expect(response.status).toBe(400);
        expect(response.body).toEqual(OWN_VOTE);
      }
      expect(await votes(target.id)).toEqual([]);
      expect((await reviewRecord(api, target.id))?.helpful_count).toBe(0);
    });

    it('When the review is unknown or hidden, then 404 and nothing is stored', async () => {
      const missing = await request(api.app).post(helpful(999999)).set(bearer(voter.access)).send({});
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(NO_REVIEW);
      const target = await freshReview();
      await api.db('reviews').where({ id: target.id }).update({ is_hidden: true });
      const hidden = await request(api.app).post(helpful(target.id)).set(bearer(voter.access)).send({ helpful: true });
      expect(hidden.status).toBe(404);
      expect(hidden.body).toEqual(NO_REVIEW);
      expect(await votes(target.id)).toEqual([]);
    });

    it('When a voter is deleted, then their vote goes and the review\'s helpful_count follows', async () => {
      const target = await freshReview();
      const leaving = await registerUser(api);
      const staying = await registerUser(api);
      for (const user of [leaving, staying]) await request(api.app).post(helpful(target.id)).set(bearer(user.access)).send({ helpful: true });
      expect((await reviewRecord(api, target.id))?.helpful_count).toBe(2);
      await api.db('users').where({ id: leaving.id }).delete();
      expect(await votes(target.id)).toEqual([staying.id]);
      expect((await reviewRecord(api, target.id))?.helpful_count).toBe(1);
      // And the next vote starts from the right number.
      const next = await request(api.app).post(helpful(target.id)).set(bearer(voter.access)).send({ helpful: true });
      expect(next.body.helpful_count).toBe(2);
    });

    it('When a voted review is deleted, then its votes go with it', async () => {
      const target = await freshReview();
      await request(api.app).post(helpful(target.id)).set(bearer(voter.access)).send({ helpful: true });
      expect((await request(api.app).delete(review(target.id)).set(bearer(author.access))).status).toBe(204);
      expect(await countRows(api, 'review_votes', { review_id: target.id })).toBe(0);
    });
  });

  describe('POST /reviews/{id}/report/', () => {
    async function reports(reviewId: number): Promise<{ user_id: number; reason: string; description: string; status: string }[]> {
      return api.db('review_reports').where({ review_id: reviewId }).orderBy('id').select('user_id', 'reason', 'description', 'status');
    }

    it.each(REASONS)('When a user reports with reason %s, then 200 with the old body plus the report id, stored open', async (reason) => {
      const target = await freshReview();
      const response = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason, description: '  Looks copied.  ' });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ message: 'Review reported successfully.', review_id: target.id, reason, report_id: expect.any(Number) });
      const row = await api.db('review_reports').where({ id: response.body.report_id }).first();
      expect(row).toMatchObject({ review_id: target.id, user_id: voter.id, reason, description: 'Looks copied.', status: 'open', handled_at: null, handled_by: null, resolution_note: '' });
    });

    it('When the description is left out, then it is stored empty', async () => {
      const target = await freshReview();
      const response = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'spam' });
      expect(response.status).toBe(200);
      expect(await reports(target.id)).toEqual([{ user_id: voter.id, reason: 'spam', description: '', status: 'open' }]);
    });

    it('When the reason is missing, then 400 {"reason":["This field is required."]} and nothing is stored', async () => {
      const target = await freshReview();
      for (const body of [{}, { description: 'no reason' }]) {
        const response = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send(body);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ reason: ['This field is required.'], code: 'invalid' });
      }
      expect(await reports(target.id)).toEqual([]);
    });

    it.each(['rude', 'SPAM', '', 'spam; DROP TABLE review_reports'])('When the reason is %p, then 400 {"reason":["Invalid reason."]} and nothing is stored', async (reason) => {
      const target = await freshReview();
      const response = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ reason: ['Invalid reason.'], code: 'invalid' });
      expect(await reports(target.id)).toEqual([]);
    });

    it('When the description is 1000 characters, then 200; at 1001, then 400 with the length message', async () => {
      const target = await freshReview();
      const tooLong = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'other', description: 'd'.repeat(1001) });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body).toEqual({ description: ['Ensure this field has no more than 1000 characters.'], code: 'invalid' });
      expect(await reports(target.id)).toEqual([]);
      const exact = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'other', description: 'd'.repeat(1000) });
      expect(exact.status).toBe(200);
      expect((await reports(target.id))[0]?.description).toHaveLength(1000);
    });

    it('When the description contains a NUL character, then 400 instead of a database error', async () => {
      const target = await freshReview();
      const response = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'other', description: 'a\u0000b' });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ description: ['Null characters are not allowed.'], code: 'invalid' });
      expect(await reports(target.id)).toEqual([]);
    });

    it('When the author reports their own review, then 400 own_review', async () => {
      const target = await freshReview();
      const response = await request(api.app).post(report(target.id)).set(bearer(author.access)).send({ reason: 'spam' });
      expect(response.status).toBe(400);
      expect(response.body).toEqual(OWN_REPORT);
      expect(await reports(target.id)).toEqual([]);
    });

    it('When the same user reports again while the first report is open, then 409 already_reported; other users may still report', async () => {
      const target = await freshReview();
      expect((await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'spam' })).status).toBe(200);
      const again = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'fake_review', description: 'Really' });
      expect(again.status).toBe(409);
      expect(again.body).toEqual(ALREADY_REPORTED);
      const second = await registerUser(api);
      expect((await request(api.app).post(report(target.id)).set(bearer(second.access)).send({ reason: 'other' })).status).toBe(200);
      expect(await reports(target.id)).toEqual([
        { user_id: voter.id, reason: 'spam', description: '', status: 'open' },
        { user_id: second.id, reason: 'other', description: '', status: 'open' },
      ]);
    });

    it.each([
      ['dismisses', dismiss, 'dismissed'],
      ['resolves (without hiding)', resolve, 'resolved'],
    ] as const)('When a moderator %s the report, then the same user may report the review again', async (_label, close, status) => {
      const target = await freshReview();
      const first = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'spam' });
      const closed = await request(api.app).post(close(first.body.report_id)).set(bearer(staff.access)).send({ note: 'Checked' });
      expect(closed.status).toBe(200);
      const again = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'offensive_language' });
      expect(again.status).toBe(200);
      expect(again.body.report_id).toBeGreaterThan(first.body.report_id);
      expect(await reports(target.id)).toEqual([
        { user_id: voter.id, reason: 'spam', description: '', status },
        { user_id: voter.id, reason: 'offensive_language', description: '', status: 'open' },
      ]);
      const thirdTry = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'other' });
      expect(thirdTry.status).toBe(409);
      expect(thirdTry.body).toEqual(ALREADY_REPORTED);
    });

    it('When the review is unknown or hidden, then 404 and nothing is stored', async () => {
      const missing = await request(api.app).post(report(999999)).set(bearer(voter.access)).send({ reason: 'spam' });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(NO_REVIEW);
      const target = await freshReview();
      await api.db('reviews').where({ id: target.id }).update({ is_hidden: true });
      const hidden = await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'spam' });
      expect(hidden.status).toBe(404);
      expect(hidden.body).toEqual(NO_REVIEW);
      expect(await reports(target.id)).toEqual([]);
    });

    it('When a review is reported, then public pages stay cached (a report changes nothing public)', async () => {
      const target = await freshReview();
      const path = productReviews(target.product);
      await request(api.app).get(path).set('Host', 'shop.test');
      expect((await request(api.app).get(path).set('Host', 'shop.test')).headers['x-cache']).toBe('HIT');
      expect((await request(api.app).post(report(target.id)).set(bearer(voter.access)).send({ reason: 'spam' })).status).toBe(200);
      const after = await request(api.app).get(path).set('Host', 'shop.test');
      expect(after.headers['x-cache']).toBe('HIT');
      expect(after.body.results[0]).toMatchObject({ id: target.id, is_hidden: false });
    });
  });
});
