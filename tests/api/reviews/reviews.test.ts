import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, ISO_MICROS, NO_PRODUCT, NOT_AUTHENTICATED, registerStaff, type ProductRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import {
  ALREADY_REVIEWED,
  CREATE,
  countRows,
  deletePath,
  expectedStats,
  helpful,
  idsOf,
  LIST,
  NO_REVIEW,
  OWN,
  productReviews,
  productStats,
  recountedRating,
  report,
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

/** "user-1a2b3c4d@example.com" as other readers see it. */
function masked(email: string): string {
  return `${email[0]}***${email.slice(email.lastIndexOf('@'))}`;
}

describe('reviews: public and author routes', () => {
  let api: TestApi;
  let categoryId: number;
  let author: RegisteredUser;
  let other: RegisteredUser;
  let staff: RegisteredUser;
  let titleSequence = 0;

  beforeAll(async () => {
    api = await startTestApi();
    categoryId = (await insertCategory(api, { name: 'Tools' })).id;
    author = await registerUser(api);
    other = await registerUser(api);
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  async function product(overrides: { is_active?: boolean } = {}): Promise<ProductRecord> {
    titleSequence += 1;
    return insertProduct(api, { title: `Hammer ${titleSequence}`, category_id: categoryId, ...overrides });
  }

  async function productBody(id: number): Promise<{ average_rating: number; reviews_count: number }> {
    const response = await request(api.app).get(`/api/v1/products/${id}/`);
    expect(response.status).toBe(200);
    return { average_rating: response.body.average_rating, reviews_count: response.body.reviews_count };
  }

  describe('POST /reviews/create/ and the alias POST /reviews/', () => {
    it('When a customer reviews a product, then 201 returns the whole review with its id, the full email and a trimmed comment', async () => {
      const item = await product();
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: item.id, rating: 4, comment: '  Solid grip.  ' });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body)).toEqual(REVIEW_KEYS);
      expect(response.body).toEqual({
        id: expect.any(Number),
        user: author.id,
        user_email: author.email,
        product: item.id,
        product_title: item.title,
        rating: 4,
        comment: 'Solid grip.',
        created_at: expect.stringMatching(ISO_MICROS),
        updated_at: response.body.created_at,
        verified_purchase: false,
        helpful_count: 0,
        is_hidden: false,
      });
      expect(await reviewRecord(api, response.body.id)).toEqual({
        id: response.body.id,
        user_id: author.id,
        product_id: item.id,
        rating: 4,
        comment: 'Solid grip.',
        verified_purchase: false,
        helpful_count: 0,
        is_hidden: false,
        hidden_by: null,
        hidden_reason: '',
      });
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 0, 1, 0], average_rating: 4 });
    });

    it('When the REST alias POST /reviews/ is used, then it creates the review exactly like /reviews/create/', async () => {
      const item = await product();
      const response = await request(api.app).post(LIST).set(bearer(author.access)).send({ product: item.id, rating: 2, comment: 'Meh' });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body)).toEqual(REVIEW_KEYS);
      expect(response.body).toMatchObject({ user: author.id, user_email: author.email, product: item.id, rating: 2, comment: 'Meh' });
      expect(await countRows(api, 'reviews', { product_id: item.id })).toBe(1);
    });

    it('When the comment is left out, then it is stored as an empty string', async () => {
      const item = await product();
      const body = await writeReview(api, author, item.id, 5);
      expect(body.comment).toBe('');
      expect((await reviewRecord(api, body.id))?.comment).toBe('');
    });

    it('When the body is form-encoded with strings of digits, then the review is created with integer values', async () => {
      const item = await product();
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).type('form').send({ product: String(item.id), rating: '3', comment: 'From a form' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ product: item.id, rating: 3, comment: 'From a form' });
    });

    it('When the same user reviews the same product again (through either route), then 400 "already reviewed" and still one row', async () => {
      const item = await product();
      await writeReview(api, author, item.id, 5, 'First');
      for (const path of [CREATE, LIST]) {
        const response = await request(api.app).post(path).set(bearer(author.access)).send({ product: item.id, rating: 1, comment: 'Second' });
        expect(response.status).toBe(400);
        expect(response.body).toEqual(ALREADY_REVIEWED);
      }
      expect(await api.db('reviews').where({ product_id: item.id }).select('rating', 'comment')).toEqual([{ rating: 5, comment: 'First' }]);
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 0, 0, 1], average_rating: 5 });
    });

    it('When another user reviews the same product, then both reviews count', async () => {
      const item = await product();
      await writeReview(api, author, item.id, 5);
      await writeReview(api, other, item.id, 2);
      expect(await productBody(item.id)).toEqual({ average_rating: 3.5, reviews_count: 2 });
    });

    it.each([
      ['0', 0, '"0" is not a valid choice.'],
      ['6', 6, '"6" is not a valid choice.'],
      ['-1', -1, '"-1" is not a valid choice.'],
      ['"abc"', 'abc', '"abc" is not a valid choice.'],
      ['2.5', 2.5, '"2.5" is not a valid choice.'],
      ['"2.5"', '2.5', '"2.5" is not a valid choice.'],
      ['"6"', '6', '"6" is not a valid choice.'],
      ['""', '', '"" is not a valid choice.'],
      ['1e300 (one message, not one per failed check)', 1e300, '"1e+300" is not a valid choice.'],
      ['null', null, 'This field may not be null.'],
    ])('When rating is %s, then 400 with the old ChoiceField message and nothing is stored', async (_label, rating, message) => {
      const item = await product();
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: item.id, rating, comment: 'x' });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ rating: [message], code: 'invalid' });
      expect(await countRows(api, 'reviews', { product_id: item.id })).toBe(0);
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 0, rating_counts: [0, 0, 0, 0, 0], average_rating: 0 });
    });

    it('When rating and product are missing, then 400 names both as required', async () => {
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).send({ comment: 'No rating' });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ product: ['This field is required.'], rating: ['This field is required.'], code: 'invalid' });
    });

    it('When the product does not exist, then 400 with the old "Invalid pk" message', async () => {
      const before = await countRows(api, 'reviews');
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: 999, rating: 5 });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ product: ['Invalid pk "999" - object does not exist.'], code: 'invalid' });
      expect(await countRows(api, 'reviews')).toBe(before);
    });

    it.each([0, -1])('When the product is %d, then 400 with the same "Invalid pk" message as any unknown pk', async (id) => {
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: id, rating: 5 });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ product: [`Invalid pk "${id}" - object does not exist.`], code: 'invalid' });
    });

    it('When the product is inactive, then 400 "Invalid pk" as if it did not exist, and nothing is stored', async () => {
      const item = await product({ is_active: false });
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: item.id, rating: 5 });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ product: [`Invalid pk "${item.id}" - object does not exist.`], code: 'invalid' });
      expect(await countRows(api, 'reviews', { product_id: item.id })).toBe(0);
    });

    it.each([
      ['"abc"', 'abc', 'Incorrect type. Expected pk value.'],
      ['2.5', 2.5, 'Incorrect type. Expected pk value.'],
      ['true', true, 'Incorrect type. Expected pk value.'],
      ['{}', {}, 'Incorrect type. Expected pk value.'],
      ['null', null, 'This field may not be null.'],
    ])('When product is %s, then 400 with the DRF message and nothing is stored', async (_label, value, message) => {
      const before = await countRows(api, 'reviews');
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: value, rating: 5 });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ product: [message], code: 'invalid' });
      expect(await countRows(api, 'reviews')).toBe(before);
    });

    it('When the comment is exactly 5000 characters, then 201; at 5001, then 400 with the length message and nothing is stored', async () => {
      const first = await product();
      const exact = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: first.id, rating: 3, comment: 'a'.repeat(5000) });
      expect(exact.status).toBe(201);
      expect(exact.body.comment).toHaveLength(5000);

      const second = await product();
      const tooLong = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: second.id, rating: 3, comment: 'a'.repeat(5001) });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body).toEqual({ comment: ['Ensure this field has no more than 5000 characters.'], code: 'invalid' });
      expect(await countRows(api, 'reviews', { product_id: second.id })).toBe(0);
    });

    it('When the comment has surrounding blanks beyond the limit, then they are trimmed before the length check', async () => {
      const item = await product();
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: item.id, rating: 3, comment: `  ${'b'.repeat(5000)}  ` });
      expect(response.status).toBe(201);
      expect(response.body.comment).toBe('b'.repeat(5000));
    });

    it('When the comment contains a NUL character, then 400 (DRF\'s message) instead of a database error', async () => {
      const item = await product();
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: item.id, rating: 3, comment: 'bad\u0000byte' });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ comment: ['Null characters are not allowed.'], code: 'invalid' });
      expect(await countRows(api, 'reviews', { product_id: item.id })).toBe(0);
    });

    it('When the comment is null or an object, then 400 with the DRF messages', async () => {
      const item = await product();
      const nullComment = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: item.id, rating: 3, comment: null });
      expect(nullComment.status).toBe(400);
      expect(nullComment.body).toEqual({ comment: ['This field may not be null.'], code: 'invalid' });
      const objectComment = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: item.id, rating: 3, comment: { text: 'x' } });
      expect(objectComment.status).toBe(400);
      expect(objectComment.body).toEqual({ comment: ['Not a valid string.'], code: 'invalid' });
      expect(await countRows(api, 'reviews', { product_id: item.id })).toBe(0);
    });

    it('When the JSON body is malformed, then 400 parse_error and nothing is stored', async () => {
      const before = await countRows(api, 'reviews');
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).set('Content-Type', 'application/json').send('{"product": 1, "rating": ');
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('parse_error');
      expect(response.body.detail).toMatch(/^JSON parse error - /);
      expect(await countRows(api, 'reviews')).toBe(before);
    });

    it('When the comment holds SQL and HTML injection strings, then they are stored and returned verbatim, and the table is intact', async () => {
      const payloads = ["'; DROP TABLE reviews; --", '<script>alert("x")</script>', "Robert'); DELETE FROM products WHERE ('1'='1", '${7*7} {{7*7}} %s %n'];
      for (const comment of payloads) {
        const item = await product();
        const body = await writeReview(api, author, item.id, 4, comment);
        expect(body.comment).toBe(comment);
        expect((await request(api.app).get(review(body.id))).body.comment).toBe(comment);
      }
      expect(await countRows(api, 'products')).toBeGreaterThan(payloads.length);
      expect(await countRows(api, 'reviews')).toBeGreaterThan(payloads.length);
    });

    it('When the product id is an injection string, then 400 "Incorrect type" and nothing is stored', async () => {
      const before = await countRows(api, 'reviews');
      const response = await request(api.app).post(CREATE).set(bearer(author.access)).send({ product: '1 OR 1=1', rating: 5 });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ product: ['Incorrect type. Expected pk value.'], code: 'invalid' });
      expect(await countRows(api, 'reviews')).toBe(before);
    });

    it('When nobody is signed in, then every write route answers 401 and nothing changes', async () => {
      const item = await product();
      const existing = await writeReview(api, author, item.id, 3, 'Kept');
      const attempts = [
        request(api.app).post(CREATE).send({ product: item.id, rating: 5 }),
        request(api.app).post(LIST).send({ product: item.id, rating: 5 }),
        request(api.app).put(updatePath(existing.id)).send({ rating: 1 }),
        request(api.app).patch(updatePath(existing.id)).send({ rating: 1 }),
        request(api.app).put(review(existing.id)).send({ rating: 1 }),
        request(api.app).patch(review(existing.id)).send({ rating: 1 }),
        request(api.app).delete(deletePath(existing.id)),
        request(api.app).delete(review(existing.id)),
        request(api.app).post(helpful(existing.id)).send({}),
        request(api.app).post(report(existing.id)).send({ reason: 'spam' }),
        request(api.app).get(OWN),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(401);
        expect(response.body).toEqual(NOT_AUTHENTICATED);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
      }
      expect(await reviewRecord(api, existing.id)).toMatchObject({ rating: 3, comment: 'Kept', helpful_count: 0 });
      expect(await countRows(api, 'reviews', { product_id: item.id })).toBe(1);
      expect(await countRows(api, 'review_reports', { review_id: existing.id })).toBe(0);
    });
  });

  describe('GET /reviews/ with filters, ordering and pagination', () => {
    let first: ProductRecord;
    let second: ProductRecord;
    let reader: RegisteredUser;
    /** Reviews in creation order: [author→first 5, other→first 2, reader→first 4, author→second 1, other→second 5 (verified)]. */
    let written: ReviewBody[];
    let listApi: TestApi;

    beforeAll(async () => {
      // Its own database, so the whole list is known.
      listApi = await startTestApi();
      const category = await insertCategory(listApi, { name: 'Garden' });
      first = await insertProduct(listApi, { title: 'Rake', category_id: category.id });
      second = await insertProduct(listApi, { title: 'Spade', category_id: category.id });
      const [a, b, c] = [await registerUser(listApi), await registerUser(listApi), await registerUser(listApi)];
      reader = c;
      written = [];
      written.push(await writeReview(listApi, a, first.id, 5, 'Great rake'));
      written.push(await writeReview(listApi, b, first.id, 2, 'Bent tines'));
      written.push(await writeReview(listApi, c, first.id, 4, 'Fine'));
      written.push(await writeReview(listApi, a, second.id, 1, 'Broke'));
      written.push(await writeReview(listApi, b, second.id, 5, 'Lovely'));
      await listApi.db('reviews').where({ id: written[4]?.id }).update({ verified_purchase: true });
      // Helpful counts 0, 3, 1, 0, 2 (set directly: the vote routes have their own tests).
      for (const [index, count] of [[1, 3], [2, 1], [4, 2]] as const) await listApi.db('reviews').where({ id: written[index]?.id }).update({ helpful_count: count });
    });
    afterAll(() => listApi.close());

    const get = (query = '') => request(listApi.app).get(`${LIST}${query}`).set('Host', HOST);
    const idAt = (...indexes: number[]) => indexes.map((index) => written[index]?.id);

    it('When listed without parameters, then every visible review comes newest first in the pagination envelope, emails masked', async () => {
      const response = await get();
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['count', 'next', 'previous', 'results']);
      expect(response.body.count).toBe(5);
      expect(response.body.next).toBeNull();
      expect(response.body.previous).toBeNull();
      expect(idsOf(response)).toEqual(idAt(4, 3, 2, 1, 0));
      const newest = response.body.results[0] as ReviewBody;
      expect(Object.keys(newest)).toEqual(REVIEW_KEYS);
      expect(newest.user_email).toMatch(/^u\*\*\*@example\.com$/);
      for (const item of response.body.results as ReviewBody[]) expect(item.user_email).not.toMatch(/^user-/);
    });

    it('When ?product= is given, then only that product\'s reviews are listed', async () => {
      expect(idsOf(await get(`?product=${first.id}`))).toEqual(idAt(2, 1, 0));
      expect(idsOf(await get(`?product=${second.id}`))).toEqual(idAt(4, 3));
      const none = await get('?product=999999');
      expect(none.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    });

    it('When ?user= is given, then only that user\'s reviews are listed', async () => {
      expect(idsOf(await get(`?user=${reader.id}`))).toEqual(idAt(2));
      const byFirstAuthor = await get(`?user=${written[0]?.user}`);
      expect(idsOf(byFirstAuthor)).toEqual(idAt(3, 0));
    });

    it('When ?rating= is given, then only reviews with that rating are listed', async () => {
      expect(idsOf(await get('?rating=5'))).toEqual(idAt(4, 0));
      expect(idsOf(await get('?rating=1'))).toEqual(idAt(3));
      expect((await get('?rating=3')).body.count).toBe(0);
    });

    it('When ?verified_purchase= is given, then it splits verified from unverified reviews', async () => {
      expect(idsOf(await get('?verified_purchase=true'))).toEqual(idAt(4));
      expect(idsOf(await get('?verified_purchase=false'))).toEqual(idAt(3, 2, 1, 0));
    });

    it('When filters are combined, then they all apply', async () => {
      expect(idsOf(await get(`?product=${first.id}&rating=5`))).toEqual(idAt(0));
      expect(idsOf(await get(`?product=${second.id}&user=${written[0]?.user}`))).toEqual(idAt(3));
      expect((await get(`?product=${first.id}&verified_purchase=true`)).body.count).toBe(0);
    });

    it.each([
      ['?rating=abc', { rating: ['"abc" is not a valid choice.'] }],
      ['?rating=6', { rating: ['"6" is not a valid choice.'] }],
      ['?rating=0', { rating: ['"0" is not a valid choice.'] }],
      ['?product=abc', { product: ['A valid integer is required.'] }],
      ['?product=0', { product: ['Ensure this value is greater than or equal to 1.'] }],
      ['?user=x', { user: ['A valid integer is required.'] }],
      ['?user=1%20OR%201%3D1', { user: ['A valid integer is required.'] }],
      ['?verified_purchase=maybe', { verified_purchase: ['Must be a valid boolean.'] }],
    ])('When the filter is %s, then 400 with a field message', async (query, errors) => {
      const response = await get(query);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ ...errors, code: 'invalid' });
    });

    it('When ?ordering=rating or -rating is given, then reviews are sorted by rating (ties by id in the same direction)', async () => {
      expect(idsOf(await get('?ordering=rating'))).toEqual(idAt(3, 1, 2, 0, 4));
      expect(idsOf(await get('?ordering=-rating'))).toEqual(idAt(4, 0, 2, 1, 3));
    });

    it('When ?ordering=-helpful_count or helpful_count is given, then reviews are sorted by their helpful count', async () => {
      expect(idsOf(await get('?ordering=-helpful_count'))).toEqual(idAt(1, 4, 2, 3, 0));
      expect(idsOf(await get('?ordering=helpful_count'))).toEqual(idAt(0, 3, 2, 4, 1));
    });

    it('When ?ordering= names an unknown or unsortable field, then it is ignored (newest first), as DRF did', async () => {
      expect(idsOf(await get('?ordering=user_email'))).toEqual(idAt(4, 3, 2, 1, 0));
      expect(idsOf(await get('?ordering=-%3BDROP%20TABLE%20reviews'))).toEqual(idAt(4, 3, 2, 1, 0));
      expect(idsOf(await get('?ordering=created_at'))).toEqual(idAt(0, 1, 2, 3, 4));
    });

    it('When a hidden review exists, then the public list leaves it out and counts without it', async () => {
      await listApi.db('reviews').where({ id: written[2]?.id }).update({ is_hidden: true });
      try {
        const response = await request(listApi.app).get(`${LIST}?product=${first.id}`);
        expect(response.body.count).toBe(2);
        expect(idsOf(response)).toEqual(idAt(1, 0));
      } finally {
        await listApi.db('reviews').where({ id: written[2]?.id }).update({ is_hidden: false });
      }
    });

    it('When there are more than 20 reviews, then pages of 20 link to each other with absolute URLs keeping the filters', async () => {
      const category = await insertCategory(listApi, { name: 'Paged' });
      const item = await insertProduct(listApi, { title: 'Paged item', category_id: category.id });
      const users = [];
      for (let index = 0; index < 22; index += 1) users.push(await registerUser(listApi));
      const base = Date.UTC(2026, 5, 1);
      await listApi.db('reviews').insert(users.map((user, index) => ({ user_id: user.id, product_id: item.id, rating: (index % 5) + 1, comment: `#${index}`, created_at: new Date(base + index * 1000).toISOString() })));
      const page1 = await request(listApi.app).get(`${LIST}?product=${item.id}`).set('Host', HOST);
      expect(page1.body.count).toBe(22);
      expect(page1.body.results).toHaveLength(20);
      expect(page1.body.previous).toBeNull();
      expect(page1.body.next).toBe(`http://${HOST}/api/v1/reviews/?page=2&product=${item.id}`);
      expect((page1.body.results as ReviewBody[]).map((r) => r.comment).slice(0, 3)).toEqual(['#21', '#20', '#19']);
      const page2 = await request(listApi.app).get(`${LIST}?product=${item.id}&page=2`).set('Host', HOST);
      expect((page2.body.results as ReviewBody[]).map((r) => r.comment)).toEqual(['#1', '#0']);
      expect(page2.body.next).toBeNull();
      expect(page2.body.previous).toBe(`http://${HOST}/api/v1/reviews/?product=${item.id}`);
      const last = await request(listApi.app).get(`${LIST}?product=${item.id}&page=last`);
      expect((last.body.results as ReviewBody[]).map((r) => r.comment)).toEqual(['#1', '#0']);
      for (const page of ['3', 'abc', '0']) {
        const bad = await request(listApi.app).get(`${LIST}?product=${item.id}&page=${page}`);
        expect(bad.status).toBe(404);
        expect(bad.body).toEqual({ detail: 'Invalid page.', code: 'not_found' });
      }
      expect(await recountedRating(listApi, item.id)).toEqual(await storedRating(listApi, item.id));
    });
  });

  describe('GET /reviews/{id}/', () => {
    it('When the public reads a review, then 200 with the masked email; the author and staff see the full email', async () => {
      const item = await product();
      const written = await writeReview(api, author, item.id, 4, 'Readable');
      const anonymous = await request(api.app).get(review(written.id));
      expect(anonymous.status).toBe(200);
      expect(Object.keys(anonymous.body)).toEqual(REVIEW_KEYS);
      expect(anonymous.body).toEqual({ ...written, user_email: masked(author.email) });
      expect(anonymous.body.user_email).toBe('u***@example.com');
      const byOther = await request(api.app).get(review(written.id)).set(bearer(other.access));
      expect(byOther.body.user_email).toBe('u***@example.com');
      const byAuthor = await request(api.app).get(review(written.id)).set(bearer(author.access));
      expect(byAuthor.body.user_email).toBe(author.email);
      const byStaff = await request(api.app).get(review(written.id)).set(bearer(staff.access));
      expect(byStaff.body.user_email).toBe(author.email);
    });

    it('When a review is hidden, then it is 404 for the public and other users, and 200 (is_hidden true) for its author and staff', async () => {
      const item = await product();
      const written = await writeReview(api, author, item.id, 1, 'Rude');
      await api.db('reviews').where({ id: written.id }).update({ is_hidden: true });
      for (const headers of [{}, bearer(other.access)]) {
        const response = await request(api.app).get(review(written.id)).set(headers);
        expect(response.status).toBe(404);
        expect(response.body).toEqual(NO_REVIEW);
      }
      for (const viewer of [author, staff]) {
        const response = await request(api.app).get(review(written.id)).set(bearer(viewer.access));
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ id: written.id, is_hidden: true, user_email: author.email, comment: 'Rude' });
      }
    });

    it('When the review does not exist, then 404 "No Review matches"; a non-numeric id is a plain 404', async () => {
      const missing = await request(api.app).get(review(987654));
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(NO_REVIEW);
      const word = await request(api.app).get(review('abc'));
      expect(word.status).toBe(404);
      expect(word.body).toEqual({ detail: 'Not found.', code: 'not_found' });
    });
  });

  describe('PUT/PATCH /reviews/{id}/update/ and the aliases PUT/PATCH /reviews/{id}/', () => {
    it.each([
      ['PATCH /update/', updatePath],
      ['PATCH to the alias', review],
    ] as const)('When the author sends %s with a rating only, then the rating changes, the comment stays and the product rating follows', async (_method, path) => {
      const item = await product();
      const written = await writeReview(api, author, item.id, 5, 'Keep me');
      await writeReview(api, other, item.id, 4);
      const response = await request(api.app).patch(path(written.id)).set(bearer(author.access)).send({ rating: 2 });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(REVIEW_KEYS);
      expect(response.body).toEqual({ ...written, rating: 2, updated_at: expect.stringMatching(ISO_MICROS) });
      expect(response.body.updated_at > written.updated_at).toBe(true);
      expect(await reviewRecord(api, written.id)).toMatchObject({ rating: 2, comment: 'Keep me' });
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 2, rating_counts: [0, 1, 0, 1, 0], average_rating: 3 });
      expect(await productBody(item.id)).toEqual({ average_rating: 3, reviews_count: 2 });
    });

    it('When the author PATCHes only the comment, then it is trimmed and the rating stays', async () => {
      const item = await product();
      const written = await writeReview(api, author, item.id, 3, 'Old');
      const response = await request(api.app).patch(updatePath(written.id)).set(bearer(author.access)).send({ comment: '  New words  ' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ rating: 3, comment: 'New words', user_email: author.email });
    });

    it.each([
      ['PUT /update/', updatePath],
      ['PUT to the alias', review],
    ] as const)('When the author sends %s with rating and comment, then both are replaced and a product field is ignored', async (_method, path) => {
      const item = await product();
      const elsewhere = await product();
      const written = await writeReview(api, author, item.id, 5, 'Before');
      const response = await request(api.app).put(path(written.id)).set(bearer(author.access)).send({ rating: 3, comment: 'After', product: elsewhere.id });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: written.id, product: item.id, product_title: item.title, rating: 3, comment: 'After' });
      expect(await reviewRecord(api, written.id)).toMatchObject({ product_id: item.id, rating: 3, comment: 'After' });
      expect(await storedRating(api, elsewhere.id)).toEqual({ reviews_count: 0, rating_counts: [0, 0, 0, 0, 0], average_rating: 0 });
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 1, 0, 0], average_rating: 3 });
    });

    it('When PUT leaves out the rating, then 400 "This field is required." and nothing changes', async () => {
      const item = await product();
      const written = await writeReview(api, author, item.id, 5, 'Stays');
      for (const path of [updatePath(written.id), review(written.id)]) {
        const response = await request(api.app).put(path).set(bearer(author.access)).send({ comment: 'Changed' });
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ rating: ['This field is required.'], code: 'invalid' });
      }
      expect(await reviewRecord(api, written.id)).toMatchObject({ rating: 5, comment: 'Stays' });
    });

    it.each([
      [0, '"0" is not a valid choice.'],
      [6, '"6" is not a valid choice.'],
      ['abc', '"abc" is not a valid choice.'],
      [null, 'This field may not be null.'],
    ])('When an update sends rating %p, then 400 %s and nothing changes', async (rating, message) => {
      const item = await product();
      const written = await writeReview(api, author, item.id, 4, 'Stays');
      const response = await request(api.app).patch(updatePath(written.id)).set(bearer(author.access)).send({ rating });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ rating: [message], code: 'invalid' });
      expect(await reviewRecord(api, written.id)).toMatchObject({ rating: 4 });
    });

    it('When an update sends a comment over the limit, then 400 and nothing changes', async () => {
      const item = await product();
      const written = await writeReview(api, author, item.id, 4, 'Short');
      const response = await request(api.app).patch(review(written.id)).set(bearer(author.access)).send({ comment: 'z'.repeat(5001) });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ comment: ['Ensure this field has no more than 5000 characters.'], code: 'invalid' });
      expect((await reviewRecord(api, written.id))?.comment).toBe('Short');
    });

    it('When someone else (a customer or staff) updates the review, then 404 (not 403) and the review is unchanged', async () => {
      const item = await product();
      const written = await writeReview(api, author, item.id, 5, 'Mine');
      for (const intruder of [other, staff]) {
        for (const path of [updatePath(written.id), review(written.id)]) {
          const patched = await request(api.app).patch(path).set(bearer(intruder.access)).send({ rating: 1, comment: 'Hijacked' });
          expect(patched.status).toBe(404);
          expect(patched.body).toEqual(NO_REVIEW);
          const put = await request(api.app).put(path).set(bearer(intruder.access)).send({ rating: 1, comment: 'Hijacked' });
          expect(put.status).toBe(404);
          expect(put.body).toEqual(NO_REVIEW);
        }
      }
      expect(await reviewRecord(api, written.id)).toMatchObject({ rating: 5, comment: 'Mine' });
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 0, 0, 1], average_rating: 5 });
    });

    it('When the review does not exist, then 404', async () => {
      const response = await request(api.app).patch(updatePath(876543)).set(bearer(author.access)).send({ rating: 3 });
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NO_REVIEW);
    });
  });

  describe('DELETE /reviews/{id}/delete/ and the alias DELETE /reviews/{id}/', () => {
    it.each([
      ['/delete/', deletePath],
      ['the alias', review],
    ] as const)('When the author deletes through %s, then 204, the row is gone and the product rating follows', async (_label, path) => {
      const item = await product();
      const mine = await writeReview(api, author, item.id, 1);
      await writeReview(api, other, item.id, 4);
      expect(await productBody(item.id)).toEqual({ average_rating: 2.5, reviews_count: 2 });
      const response = await request(api.app).delete(path(mine.id)).set(bearer(author.access));
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expect(await reviewRecord(api, mine.id)).toBeUndefined();
      expect(await productBody(item.id)).toEqual({ average_rating: 4, reviews_count: 1 });
      expect(await storedRating(api, item.id)).toEqual({ reviews_count: 1, rating_counts: [0, 0, 0, 1, 0], average_rating: 4 });
      const again = await request(api.app).get(review(mine.id));
      expect(again.status).toBe(404);
    });

    it('When the last review is deleted, then average_rating is back to 0 and the author may review again', async () => {
      const item = await product();
      const mine = await writeReview(api, author, item.id, 3);
      expect((await request(api.app).delete(deletePath(mine.id)).set(bearer(author.access))).status).toBe(204);
      expect(await productBody(item.id)).toEqual({ average_rating: 0, reviews_count: 0 });
      const again = await writeReview(api, author, item.id, 5);
      expect(again.id).not.toBe(mine.id);
    });

    it('When someone else (a customer or staff) deletes the review, then 404 and it stays', async () => {
      const item = await product();
      const mine = await writeReview(api, author, item.id, 5);
      for (const intruder of [other, staff]) {
        for (const path of [deletePath(mine.id), review(mine.id)]) {
          const response = await request(api.app).delete(path).set(bearer(intruder.access));
          expect(response.status).toBe(404);
          expect(response.body).toEqual(NO_REVIEW);
        }
      }
      expect(await reviewRecord(api, mine.id)).toMatchObject({ id: mine.id, rating: 5 });
    });

    it('When the review does not exist, then 404', async () => {
      const response = await request(api.app).delete(deletePath(765432)).set(bearer(author.access));
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NO_REVIEW);
    });
  });

  describe('GET /reviews/product/{id}/ and /stats/', () => {
    it('When a product has reviews, then its list holds only its visible reviews, newest first', async () => {
      const item = await product();
      const noise = await product();
      const a = await writeReview(api, author, item.id, 5);
      const b = await writeReview(api, other, item.id, 3);
      await writeReview(api, author, noise.id, 1);
      const hidden = await writeReview(api, staff, item.id, 1);
      await api.db('reviews').where({ id: hidden.id }).update({ is_hidden: true });
      const response = await request(api.app).get(productReviews(item.id));
      expect(response.status).toBe(200);
      expect(response.body.count).toBe(2);
      expect(idsOf(response)).toEqual([b.id, a.id]);
      expect((response.body.results as ReviewBody[]).map((r) => r.user_email)).toEqual(['u***@example.com', 'u***@example.com']);
    });

    it('When the product has no reviews, then an empty page', async () => {
      const item = await product();
      const response = await request(api.app).get(productReviews(item.id));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    });

    it('When the product is unknown or inactive, then both routes answer 404 "No Product matches the given query."', async () => {
      const inactive = await product({ is_active: false });
      for (const id of [999999, inactive.id]) {
        for (const path of [productReviews(id), productStats(id)]) {
          const response = await request(api.app).get(path);
          expect(response.status).toBe(404);
          expect(response.body).toEqual(NO_PRODUCT);
        }
      }
    });

    it('When the stats are read, then they have the old shape: count, rounded average and a string-keyed distribution', async () => {
      const item = await product();
      const third = await registerUser(api);
      await writeReview(api, author, item.id, 5);
      await writeReview(api, other, item.id, 2);
      await writeReview(api, third, item.id, 2);
      const response = await request(api.app).get(productStats(item.id));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['total_reviews', 'average_rating', 'rating_distribution']);
      expect(Object.keys(response.body.rating_distribution)).toEqual(['1', '2', '3', '4', '5']);
      expect(response.body).toEqual({ total_reviews: 3, average_rating: 3, rating_distribution: { 1: 0, 2: 2, 3: 0, 4: 0, 5: 1 } });
      expect(response.body).toEqual(expectedStats([5, 2, 2]));
      // 3.0 in Python; JSON numbers print it as 3.
      expect(response.text).toContain('"average_rating":3,');
    });

    it('When a product has ratings with a repeating average, then the stats round it to 2 decimals', async () => {
      const item = await product();
      const third = await registerUser(api);
      await writeReview(api, author, item.id, 5);
      await writeReview(api, other, item.id, 4);
      await writeReview(api, third, item.id, 4);
      const response = await request(api.app).get(productStats(item.id));
      expect(response.body).toEqual({ total_reviews: 3, average_rating: 4.33, rating_distribution: { 1: 0, 2: 0, 3: 0, 4: 2, 5: 1 } });
      expect(await productBody(item.id)).toEqual({ average_rating: 4.33, reviews_count: 3 });
    });

    it('When the product has no reviews, then the stats are zeros (average_rating the integer 0)', async () => {
      const item = await product();
      const response = await request(api.app).get(productStats(item.id));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ total_reviews: 0, average_rating: 0, rating_distribution: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 } });
      expect(response.text).toBe('{"total_reviews":0,"average_rating":0,"rating_distribution":{"1":0,"2":0,"3":0,"4":0,"5":0}}');
    });

    it('When the product id in the path is not a number, then 404', async () => {
      expect((await request(api.app).get('/api/v1/reviews/product/abc/')).status).toBe(404);
      expect((await request(api.app).get('/api/v1/reviews/product/abc/stats/')).status).toBe(404);
    });
  });

  describe('GET /reviews/user/ and /reviews/user/{user_id}/', () => {
    it('When a user lists their own reviews, then all of them come newest first with the full email, hidden ones marked is_hidden', async () => {
      const me = await registerUser(api);
      const [p1, p2, p3] = [await product(), await product(), await product()];
      const r1 = await writeReview(api, me, p1.id, 5);
      const r2 = await writeReview(api, me, p2.id, 3);
      const r3 = await writeReview(api, me, p3.id, 1);
      await writeReview(api, other, p1.id, 2);
      await api.db('reviews').where({ id: r2.id }).update({ is_hidden: true });
      const response = await request(api.app).get(OWN).set(bearer(me.access));
      expect(response.status).toBe(200);
      expect(response.body.count).toBe(3);
      expect(idsOf(response)).toEqual([r3.id, r2.id, r1.id]);
      expect((response.body.results as ReviewBody[]).map((r) => [r.is_hidden, r.user_email])).toEqual([
        [false, me.email],
        [true, me.email],
        [false, me.email],
      ]);
      expect(idsOf(await request(api.app).get(`${OWN}?ordering=rating`).set(bearer(me.access)))).toEqual([r3.id, r2.id, r1.id]);
      expect(idsOf(await request(api.app).get(`${OWN}?ordering=-rating`).set(bearer(me.access)))).toEqual([r1.id, r2.id, r3.id]);
    });

    it('When anyone lists a user\'s reviews, then only the visible ones come, masked', async () => {
      const someone = await registerUser(api);
      const [p1, p2] = [await product(), await product()];
      const visible = await writeReview(api, someone, p1.id, 4);
      const hidden = await writeReview(api, someone, p2.id, 2);
      await api.db('reviews').where({ id: hidden.id }).update({ is_hidden: true });
      for (const headers of [{}, bearer(someone.access), bearer(other.access)]) {
        const response = await request(api.app).get(userReviews(someone.id)).set(headers);
        expect(response.status).toBe(200);
        expect(response.body.count).toBe(1);
        expect(idsOf(response)).toEqual([visible.id]);
        expect(response.body.results[0].user_email).toBe(masked(someone.email));
      }
    });

    it('When the user does not exist, then an empty page (not 404)', async () => {
      const response = await request(api.app).get(userReviews(987654));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    });
  });

  describe('the catalogue read cache', () => {
    const cached = (path: string) => request(api.app).get(path).set('Host', HOST);

    it('When a public review page is read twice, then MISS then HIT with the same body; a new review makes the next read a MISS with it', async () => {
      const item = await product();
      const first = await writeReview(api, author, item.id, 5);
      const paths = [productReviews(item.id), productStats(item.id), `${LIST}?product=${item.id}`, userReviews(other.id)];
      const before: Record<string, unknown> = {};
      for (const path of paths) {
        const miss = await cached(path);
        expect(miss.headers['x-cache']).toBe('MISS');
        const hit = await cached(path);
        expect(hit.headers['x-cache']).toBe('HIT');
        expect(hit.body).toEqual(miss.body);
        before[path] = miss.body;
      }
      expect((before[productStats(item.id)] as { total_reviews: number }).total_reviews).toBe(1);

      const second = await writeReview(api, other, item.id, 1);
      const list = await cached(productReviews(item.id));
      expect(list.headers['x-cache']).toBe('MISS');
      expect(idsOf(list)).toEqual([second.id, first.id]);
      const stats = await cached(productStats(item.id));
      expect(stats.headers['x-cache']).toBe('MISS');
      expect(stats.body).toEqual({ total_reviews: 2, average_rating: 3, rating_distribution: { 1: 1, 2: 0, 3: 0, 4: 0, 5: 1 } });
      const byUser = await cached(userReviews(other.id));
      expect(byUser.headers['x-cache']).toBe('MISS');
      expect(idsOf(byUser)[0]).toBe(second.id);
      expect((await cached(productReviews(item.id))).headers['x-cache']).toBe('HIT');
    });

    it('When a review is updated, deleted or voted on, then the next read of the cached pages is a MISS with the new data', async () => {
      const item = await product();
      const mine = await writeReview(api, author, item.id, 5);
      const warm = async () => {
        await cached(productStats(item.id));
        await cached(productReviews(item.id));
        expect((await cached(productStats(item.id))).headers['x-cache']).toBe('HIT');
        expect((await cached(productReviews(item.id))).headers['x-cache']).toBe('HIT');
      };

      await warm();
      expect((await request(api.app).patch(updatePath(mine.id)).set(bearer(author.access)).send({ rating: 2 })).status).toBe(200);
      const afterUpdate = await cached(productStats(item.id));
      expect(afterUpdate.headers['x-cache']).toBe('MISS');
      expect(afterUpdate.body).toEqual({ total_reviews: 1, average_rating: 2, rating_distribution: { 1: 0, 2: 1, 3: 0, 4: 0, 5: 0 } });

      await warm();
      expect((await request(api.app).post(helpful(mine.id)).set(bearer(other.access)).send({ helpful: true })).status).toBe(200);
      const afterVote = await cached(productReviews(item.id));
      expect(afterVote.headers['x-cache']).toBe('MISS');
      expect(afterVote.body.results[0].helpful_count).toBe(1);

      await warm();
      expect((await request(api.app).delete(deletePath(mine.id)).set(bearer(author.access))).status).toBe(204);
      const afterDelete = await cached(productStats(item.id));
      expect(afterDelete.headers['x-cache']).toBe('MISS');
      expect(afterDelete.body).toEqual({ total_reviews: 0, average_rating: 0, rating_distribution: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 } });
      const emptyList = await cached(productReviews(item.id));
      expect(emptyList.headers['x-cache']).toBe('MISS');
      expect(emptyList.body.count).toBe(0);
    });

    it('When the product detail is cached, then a new review makes it a MISS with the new rating', async () => {
      const item = await product();
      const path = `/api/v1/products/${item.id}/`;
      await cached(path);
      const hit = await cached(path);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.body).toMatchObject({ average_rating: 0, reviews_count: 0 });
      await writeReview(api, author, item.id, 4);
      const miss = await cached(path);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(miss.body).toMatchObject({ average_rating: 4, reviews_count: 1 });
    });

    it('When a cached public review page is requested with a bad token, then 401 token_not_valid, not the cached page', async () => {
      const item = await product();
      await writeReview(api, author, item.id, 3);
      for (const path of [productReviews(item.id), productStats(item.id), `${LIST}?product=${item.id}`]) {
        await cached(path);
        expect((await cached(path)).headers['x-cache']).toBe('HIT');
        const response = await cached(path).set('Authorization', 'Bearer not-a-token');
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({ detail: 'Given token not valid for any token type', code: 'token_not_valid' });
      }
    });

    it('When a product\'s reviews are requested for an unknown product, then the 404 is not cached as a page', async () => {
      const first = await cached(productReviews(555555));
      const second = await cached(productReviews(555555));
      expect([first.status, second.status]).toEqual([404, 404]);
      expect(second.body).toEqual(NO_PRODUCT);
    });
  });

  describe('the OpenAPI document', () => {
    it('When /api/v1/schema/ is fetched, then every review and moderation route is in it with its methods', async () => {
      const response = await request(api.app).get('/api/v1/schema/');
      expect(response.status).toBe(200);
      const paths = response.body.paths as Record<string, Record<string, unknown>>;
      const expected: Record<string, string[]> = {
        '/api/v1/reviews/': ['get', 'post'],
        '/api/v1/reviews/create/': ['post'],
        '/api/v1/reviews/{id}/': ['delete', 'get', 'patch', 'put'],
        '/api/v1/reviews/{id}/update/': ['patch', 'put'],
        '/api/v1/reviews/{id}/delete/': ['delete'],
        '/api/v1/reviews/product/{product_id}/': ['get'],
        '/api/v1/reviews/product/{product_id}/stats/': ['get'],
        '/api/v1/reviews/user/': ['get'],
        '/api/v1/reviews/user/{user_id}/': ['get'],
        '/api/v1/reviews/{id}/helpful/': ['post'],
        '/api/v1/reviews/{id}/report/': ['post'],
        '/api/v1/reviews/moderation/reports/': ['get'],
        '/api/v1/reviews/moderation/reports/{id}/resolve/': ['post'],
        '/api/v1/reviews/moderation/reports/{id}/dismiss/': ['post'],
        '/api/v1/reviews/{id}/hide/': ['post'],
        '/api/v1/reviews/{id}/restore/': ['post'],
      };
      const methods = ['get', 'post', 'put', 'patch', 'delete'];
      const reviewPaths = Object.fromEntries(
        Object.entries(paths)
          .filter(([path]) => path.startsWith('/api/v1/reviews/'))
          .map(([path, item]) => [path, Object.keys(item).filter((key) => methods.includes(key)).sort()]),
      );
      expect(reviewPaths).toEqual(expected);
      expect(Object.keys(response.body.components.schemas)).toEqual(expect.arrayContaining(['Review', 'ReviewStats', 'ReviewReport']));
    });
  });
});
