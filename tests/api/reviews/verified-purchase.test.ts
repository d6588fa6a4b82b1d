import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, type ProductRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { countRows, CREATE, idsOf, LIST, moveOrder, orderInStatus, productReviews, PURCHASE_REQUIRED, reviewRecord, updatePath, writeReview } from './review-helpers';

describe('verified purchases', () => {
  describe('with the default settings (REVIEW_VERIFIED_STATUSES=delivered)', () => {
    let api: TestApi;
    let staff: RegisteredUser;
    let categoryId: number;
    let sequence = 0;

    beforeAll(async () => {
      api = await startTestApi();
      staff = await registerStaff(api);
      categoryId = (await insertCategory(api, { name: 'Shoes' })).id;
    });
    afterAll(() => api.close());

    async function product(): Promise<ProductRecord> {
      sequence += 1;
      return insertProduct(api, { title: `Boot ${sequence}`, category_id: categoryId, stock_quantity: 50 });
    }

    it('When the author has no order, then verified_purchase is false', async () => {
      const item = await product();
      const customer = await registerUser(api);
      const body = await writeReview(api, customer, item.id, 4);
      expect(body.verified_purchase).toBe(false);
      expect((await reviewRecord(api, body.id))?.verified_purchase).toBe(false);
    });

    it('When the author has a delivered order for the product, then verified_purchase is true', async () => {
      const item = await product();
      const customer = await registerUser(api);
      await orderInStatus(api, customer, staff, item.id, 'delivered');
      const body = await writeReview(api, customer, item.id, 5);
      expect(body.verified_purchase).toBe(true);
      expect((await reviewRecord(api, body.id))?.verified_purchase).toBe(true);
      expect(idsOf(await request(api.app).get(`${LIST}?product=${item.id}&verified_purchase=true`))).toEqual([body.id]);
    });

    it.each(['pending', 'paid', 'processing', 'shipped'] as const)('When the author\'s order for the product is only %s, then verified_purchase is false', async (status) => {
      const item = await product();
      const customer = await registerUser(api);
      await orderInStatus(api, customer, staff, item.id, status);
      const body = await writeReview(api, customer, item.id, 3);
      expect(body.verified_purchase).toBe(false);
    });

    it('When the delivered order is someone else\'s, or for another product, then it does not verify the review', async () => {
      const item = await product();
      const otherItem = await product();
      const customer = await registerUser(api);
      const buyer = await registerUser(api);
      await orderInStatus(api, buyer, staff, item.id, 'delivered');
      await orderInStatus(api, customer, staff, otherItem.id, 'delivered');
      expect((await writeReview(api, customer, item.id, 2)).verified_purchase).toBe(false);
      expect((await writeReview(api, buyer, item.id, 5)).verified_purchase).toBe(true);
    });

    it('When the order is delivered after the review was written, then the review is verified at once, cached public pages included, with no edit', async () => {
      const item = await product();
      const customer = await registerUser(api);
      const orderId = await orderInStatus(api, customer, staff, item.id, 'shipped');
      const body = await writeReview(api, customer, item.id, 4);
      expect(body.verified_purchase).toBe(false);
      // One Host for every request: the cache keys on it, and each supertest request gets a new port.
      const page = () => request(api.app).get(productReviews(item.id)).set('Host', 'shop.test');
      expect((await page()).body.results[0].verified_purchase).toBe(false);
      const second = await page();
      expect(second.headers['x-cache']).toBe('HIT');
      await moveOrder(api, staff, orderId, 'delivered');
      expect((await reviewRecord(api, body.id))?.verified_purchase).toBe(true);
      expect((await page()).body.results[0].verified_purchase).toBe(true);
    });

    it('When the order is delivered after the review was written, then the next edit marks the review verified', async () => {
      const item = await product();
      const customer = await registerUser(api);
      const orderId = await orderInStatus(api, customer, staff, item.id, 'shipped');
      const body = await writeReview(api, customer, item.id, 4);
      expect(body.verified_purchase).toBe(false);
      await moveOrder(api, staff, orderId, 'delivered');
      const edited = await request(api.app).patch(updatePath(body.id)).set(bearer(customer.access)).send({ comment: 'Arrived fine' });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ verified_purchase: true, comment: 'Arrived fine', rating: 4 });
      expect((await reviewRecord(api, body.id))?.verified_purchase).toBe(true);
    });
  });

  describe('with REVIEW_VERIFIED_STATUSES=paid,processing,shipped,delivered', () => {
    let api: TestApi;
    let staff: RegisteredUser;
    let categoryId: number;

    beforeAll(async () => {
      api = await startTestApi({ REVIEW_VERIFIED_STATUSES: 'paid,processing,shipped,delivered' });
      staff = await registerStaff(api);
      categoryId = (await insertCategory(api, { name: 'Hats' })).id;
    });
    afterAll(() => api.close());

    it.each(['paid', 'processing', 'shipped', 'delivered'] as const)('When the author\'s order is %s, then verified_purchase is true', async (status) => {
      const item = await insertProduct(api, { title: `Cap ${status}`, category_id: categoryId });
      const customer = await registerUser(api);
      await orderInStatus(api, customer, staff, item.id, status);
      expect((await writeReview(api, customer, item.id, 5)).verified_purchase).toBe(true);
    });

    it('When the order is only pending, then verified_purchase is false', async () => {
      const item = await insertProduct(api, { title: 'Cap pending', category_id: categoryId });
      const customer = await registerUser(api);
      await orderInStatus(api, customer, staff, item.id, 'pending');
      expect((await writeReview(api, customer, item.id, 5)).verified_purchase).toBe(false);
    });

    it.each([
      ['the customer cancels it', 'customer'],
      ['staff cancel it', 'staff'],
    ])('When a paid order is refunded because %s, then the review loses its verified badge at once, with no edit', async (_how, who) => {
      const item = await insertProduct(api, { title: `Cap refunded by ${who}`, category_id: categoryId });
      const customer = await registerUser(api);
      const orderId = await orderInStatus(api, customer, staff, item.id, 'paid');
      const body = await writeReview(api, customer, item.id, 5);
      expect(body.verified_purchase).toBe(true);
      if (who === 'customer') expect((await request(api.app).post(`/api/v1/orders/${orderId}/cancel/`).set(bearer(customer.access))).status).toBe(200);
      else await moveOrder(api, staff, orderId, 'cancelled');
      expect((await reviewRecord(api, body.id))?.verified_purchase).toBe(false);
      expect((await request(api.app).get(productReviews(item.id))).body.results[0].verified_purchase).toBe(false);
      expect(idsOf(await request(api.app).get(`${LIST}?product=${item.id}&verified_purchase=true`))).toEqual([]);
    });

    it('When one of two paid orders is cancelled, then the other still verifies the review', async () => {
      const item = await insertProduct(api, { title: 'Cap bought twice', category_id: categoryId });
      const customer = await registerUser(api);
      const first = await orderInStatus(api, customer, staff, item.id, 'paid');
      await orderInStatus(api, customer, staff, item.id, 'paid');
      const body = await writeReview(api, customer, item.id, 5);
      await moveOrder(api, staff, first, 'cancelled');
      expect((await reviewRecord(api, body.id))?.verified_purchase).toBe(true);
    });

    it('When a pending order is paid after the review, then the review is verified at once', async () => {
      const item = await insertProduct(api, { title: 'Cap paid later', category_id: categoryId });
      const customer = await registerUser(api);
      const orderId = await orderInStatus(api, customer, staff, item.id, 'pending');
      const body = await writeReview(api, customer, item.id, 5);
      expect(body.verified_purchase).toBe(false);
      const paid = await request(api.app)
        .post(`/api/v1/orders/${orderId}/payment/`)
        .set(bearer(customer.access))
        .send({ payment_method: 'card', payment_details: { card_number: '4242424242424242' } });
      expect(paid.status).toBe(200);
      expect((await reviewRecord(api, body.id))?.verified_purchase).toBe(true);
    });

    it('When a paid order is cancelled after the review, then the next edit clears the flag', async () => {
      const item = await insertProduct(api, { title: 'Cap cancelled', category_id: categoryId });
      const customer = await registerUser(api);
      const orderId = await orderInStatus(api, customer, staff, item.id, 'paid');
      const body = await writeReview(api, customer, item.id, 5);
      expect(body.verified_purchase).toBe(true);
      await moveOrder(api, staff, orderId, 'cancelled');
      const edited = await request(api.app).put(updatePath(body.id)).set(bearer(customer.access)).send({ rating: 1, comment: 'Never came' });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ verified_purchase: false, rating: 1 });
    });
  });

  describe('with REVIEW_REQUIRE_PURCHASE=true', () => {
    let api: TestApi;
    let staff: RegisteredUser;
    let categoryId: number;

    beforeAll(async () => {
      api = await startTestApi({ REVIEW_REQUIRE_PURCHASE: 'true' });
      staff = await registerStaff(api);
      categoryId = (await insertCategory(api, { name: 'Bags' })).id;
    });
    afterAll(() => api.close());

    it('When the author has not bought the product, then 403 purchase_required and nothing is stored', async () => {
      const item = await insertProduct(api, { title: 'Tote', category_id: categoryId });
      const customer = await registerUser(api);
      for (const path of [CREATE, LIST]) {
        const response = await request(api.app).post(path).set(bearer(customer.access)).send({ product: item.id, rating: 5 });
        expect(response.status).toBe(403);
        expect(response.body).toEqual(PURCHASE_REQUIRED);
      }
      expect(await countRows(api, 'reviews', { product_id: item.id })).toBe(0);
    });

    it('When the author\'s order is not delivered yet, then still 403', async () => {
      const item = await insertProduct(api, { title: 'Satchel', category_id: categoryId });
      const customer = await registerUser(api);
      await orderInStatus(api, customer, staff, item.id, 'paid');
      const response = await request(api.app).post(CREATE).set(bearer(customer.access)).send({ product: item.id, rating: 5 });
      expect(response.status).toBe(403);
      expect(response.body).toEqual(PURCHASE_REQUIRED);
    });

    it('When the author has a delivered order, then 201 with verified_purchase true', async () => {
      const item = await insertProduct(api, { title: 'Backpack', category_id: categoryId });
      const customer = await registerUser(api);
      await orderInStatus(api, customer, staff, item.id, 'delivered');
      const response = await request(api.app).post(CREATE).set(bearer(customer.access)).send({ product: item.id, rating: 4, comment: 'Roomy' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ product: item.id, rating: 4, comment: 'Roomy', verified_purchase: true });
    });

    it('When validation fails too, then the 400 comes before the purchase check', async () => {
      const item = await insertProduct(api, { title: 'Pouch', category_id: categoryId });
      const customer = await registerUser(api);
      const response = await request(api.app).post(CREATE).set(bearer(customer.access)).send({ product: item.id, rating: 9 });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ rating: ['"9" is not a valid choice.'], code: 'invalid' });
    });
  });

  describe('with REVIEW_COMMENT_MAX_LENGTH=12', () => {
    let api: TestApi;
    let customer: RegisteredUser;
    let categoryId: number;

    beforeAll(async () => {
      api = await startTestApi({ REVIEW_COMMENT_MAX_LENGTH: '12' });
      customer = await registerUser(api);
      categoryId = (await insertCategory(api, { name: 'Short' })).id;
    });
    afterAll(() => api.close());

    it('When the comment is exactly the limit, then 201; one more character, then 400 naming the configured limit', async () => {
      const first = await insertProduct(api, { title: 'Limit ok', category_id: categoryId });
      const ok = await request(api.app).post(CREATE).set(bearer(customer.access)).send({ product: first.id, rating: 3, comment: 'x'.repeat(12) });
      expect(ok.status).toBe(201);
      const second = await insertProduct(api, { title: 'Limit over', category_id: categoryId });
      const over = await request(api.app).post(CREATE).set(bearer(customer.access)).send({ product: second.id, rating: 3, comment: 'x'.repeat(13) });
      expect(over.status).toBe(400);
      expect(over.body).toEqual({ comment: ['Ensure this field has no more than 12 characters.'], code: 'invalid' });
      expect(await countRows(api, 'reviews', { product_id: second.id })).toBe(0);
      const edit = await request(api.app).patch(updatePath(ok.body.id)).set(bearer(customer.access)).send({ comment: 'y'.repeat(13) });
      expect(edit.status).toBe(400);
      expect(edit.body).toEqual({ comment: ['Ensure this field has no more than 12 characters.'], code: 'invalid' });
    });
  });
});
