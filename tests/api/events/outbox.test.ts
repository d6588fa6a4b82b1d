import request from 'supertest';
import { recordEvent, type EventEnvelope } from '../../../api/modules/events';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff, type CategoryRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { CREATE, order, payOrder, placeOrder, setStatus, UNPAID_LIMIT_LIFTED, cancel } from '../orders/order-helpers';

/**
 * The outbox: an event row exists if and only if the change it announces committed, written in the change's
 * own transaction, with the resource as the API returns it.
 */

interface StoredEvent {
  id: string;
  type: string;
  resource_type: string;
  resource_id: string;
  payload: EventEnvelope;
}

const PUBLIC_URL = 'https://shop.example.test';

describe('the event outbox', () => {
  let api: TestApi;
  let category: CategoryRecord;
  let staff: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', PUBLIC_URL, LOW_STOCK_THRESHOLD: '3', ...UNPAID_LIMIT_LIFTED });
    category = await insertCategory(api, { name: 'Outbox aisle', slug: 'outbox-aisle' });
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  const eventsFor = (resourceType: string, id: number | string): Promise<StoredEvent[]> =>
    api.db('events').where({ resource_type: resourceType, resource_id: String(id) }).orderBy('sequence').select('id', 'type', 'resource_type', 'resource_id', 'payload');
  const typesFor = async (resourceType: string, id: number | string) => (await eventsFor(resourceType, id)).map((event) => event.type);
  const countEvents = async () => Number((await api.db('events').count<{ count: string }[]>('* as count'))[0]?.count);

  describe('committed changes', () => {
    it('When an order goes placed → paid → processing → shipped → delivered, then each step has exactly one event carrying the order as the API returns it', async () => {
      const customer = await registerUser(api);
      const mug = await insertProduct(api, { title: 'Outbox mug', category_id: category.id, price: '12.50', stock_quantity: 20 });
      const placed = await placeOrder(api, customer, { items: [{ product_id: mug.id, quantity: 2 }] });
      await payOrder(api, customer, placed.id);
      for (const status of ['processing', 'shipped', 'delivered']) await setStatus(api, staff, placed.id, status);

      const events = await eventsFor('order', placed.id);
      expect(events.map((event) => event.type)).toEqual(['order.placed', 'order.paid', 'order.processing', 'order.shipped', 'order.delivered']);
      expect(new Set(events.map((event) => event.id)).size).toBe(5);
      const finalView = (await request(api.app).get(order(placed.id)).set(bearer(customer.access))).body as Record<string, unknown>;
      const delivered = events[4]!.payload;
      expect(delivered).toEqual({ id: events[4]!.id, type: 'order.delivered', created_at: expect.stringMatching(/Z$/), api_version: 'v1', data: { object: finalView, previous_status: 'shipped' } });
      expect(events[0]!.payload.data).toEqual({ object: expect.objectContaining({ id: placed.id, status: 'pending', total_amount: '25.00' }), previous_status: null });
      const shipped = events[3]!.payload.data as unknown as { tracking: { tracking_number: string; tracking_events: unknown[] } };
      expect(shipped.tracking.tracking_number).toBe(placed.tracking_number);
      expect(shipped.tracking.tracking_events).toHaveLength(4);
    });

    it('When a paid order is cancelled, then order.cancelled carries the refund; when an order misses its deadline, then it is order.expired', async () => {
      const customer = await registerUser(api);
      const lamp = await insertProduct(api, { title: 'Outbox lamp', category_id: category.id, price: '40.00', stock_quantity: 20 });
      const paid = await placeOrder(api, customer, { items: [{ product_id: lamp.id, quantity: 1 }] });
      await payOrder(api, customer, paid.id);
      expect((await request(api.app).post(cancel(paid.id)).set(bearer(customer.access))).status).toBe(200);
      const cancelled = (await eventsFor('order', paid.id)).at(-1)!;
      expect(cancelled.type).toBe('order.cancelled');
      expect(cancelled.payload.data).toMatchObject({ previous_status: 'paid', cancel_reason: 'customer', refund: expect.objectContaining({ amount: '40.00', reference: expect.stringMatching(/^sim_re_/) }) });

      const late = await placeOrder(api, customer, { items: [{ product_id: lamp.id, quantity: 1 }] });
      await api.db('orders').where({ id: late.id }).update({ payment_due_at: api.db.raw("now() - interval '1 second'") });
      await api.runtime.orderExpiry.expireOverdue();
      await api.runtime.orderExpiry.expireOverdue();
      expect(await typesFor('order', late.id)).toEqual(['order.placed', 'order.expired']);
      expect((await eventsFor('order', late.id))[1]!.payload.data).toMatchObject({ cancel_reason: 'payment_timeout', refund: null, object: expect.objectContaining({ status: 'cancelled' }) });
    });

    it('When staff create, update, deactivate and delete a product, then each is announced once, with image links on PUBLIC_URL', async () => {
      const headers = bearer(staff.access);
      const created = await request(api.app).post('/api/v1/admin/products').set(headers).send({ title: 'Announced kettle', price: '30.00', category: category.id, stock_quantity: 10, image: 'https://cdn.example.test/k.png' });
      expect(created.status).toBe(201);
      const id = (created.body as { id: number }).id;
      expect((await request(api.app).patch(`/api/v1/admin/products/${id}`).set(headers).send({ price: '31.00' })).status).toBe(200);
      expect((await request(api.app).patch(`/api/v1/admin/products/${id}`).set(headers).send({ price: '31.00' })).status).toBe(200);
      expect((await request(api.app).patch(`/api/v1/admin/products/${id}`).set(headers).send({ is_active: false })).status).toBe(200);
      expect((await request(api.app).delete(`/api/v1/admin/products/${id}`).set(headers)).status).toBe(204);
      const events = await eventsFor('product', id);
      // The second PATCH changed nothing, so it announced nothing.
      expect(events.map((event) => event.type)).toEqual(['product.created', 'product.updated', 'product.deactivated', 'product.deleted']);
      expect(events[1]!.payload.data.object).toMatchObject({ id, price: '31.00', is_active: true });
      expect(events[3]!.payload.data.object).toMatchObject({ id, is_active: false, title: 'Announced kettle' });
    });

    it('When sales take stock from above LOW_STOCK_THRESHOLD to it, then product.low_stock is written once, not again while it stays low', async () => {
      const customer = await registerUser(api);
      const vase = await insertProduct(api, { title: 'Low vase', category_id: category.id, price: '9.00', stock_quantity: 6 });
      await placeOrder(api, customer, { items: [{ product_id: vase.id, quantity: 2 }] }); // 4 left: above 3
      expect(await typesFor('product', vase.id)).toEqual([]);
      await placeOrder(api, customer, { items: [{ product_id: vase.id, quantity: 1 }] }); // 3 left: crossed
      await placeOrder(api, customer, { items: [{ product_id: vase.id, quantity: 1 }] }); // 2 left: still low
      const events = await eventsFor('product', vase.id);
      expect(events.map((event) => event.type)).toEqual(['product.low_stock']);
      expect(events[0]!.payload.data).toMatchObject({ threshold: 3, previous_stock: 4, object: expect.objectContaining({ id: vase.id, stock_quantity: 3 }) });
    });

    it('When a customer registers and when a review is reported, then user.registered and review.reported are written', async () => {
      const customer = await registerUser(api);
      const registered = await eventsFor('user', customer.id);
      expect(registered.map((event) => event.type)).toEqual(['user.registered']);
      expect(registered[0]!.payload.data.object).toMatchObject({ id: customer.id, email: customer.email });
      expect(JSON.stringify(registered[0]!.payload)).not.toMatch(/password|argon/i);

      const product = await insertProduct(api, { title: 'Reviewed rug', category_id: category.id, price: '70.00', stock_quantity: 5 });
      const review = await request(api.app).post('/api/v1/reviews/').set(bearer(customer.access)).send({ product: product.id, rating: 1, comment: 'Spam spam spam' });
      expect(review.status).toBe(201);
      const reporter = await registerUser(api);
      const reported = await request(api.app).post(`/api/v1/reviews/${(review.body as { id: number }).id}/report/`).set(bearer(reporter.access)).send({ reason: 'spam' });
      expect(reported.status).toBeLessThan(300);
      const [event] = await api.db('events').where({ type: 'review.reported' }).orderBy('sequence', 'desc').limit(1).select('payload');
      expect((event as { payload: EventEnvelope }).payload.data.object).toMatchObject({ reason: 'spam', reporter: reporter.id, review: expect.objectContaining({ id: (review.body as { id: number }).id }) });
    });
  });

  describe('changes that roll back', () => {
    it('When a checkout is refused for stock, an unknown product or bad input, then no event is written', async () => {
      const customer = await registerUser(api);
      const scarce = await insertProduct(api, { title: 'Scarce clock', category_id: category.id, price: '80.00', stock_quantity: 1 });
      const before = await countEvents();
      const attempts = [
        { items: [{ product_id: scarce.id, quantity: 2 }] },
        { items: [{ product_id: 999_999, quantity: 1 }] },
        { items: [{ product_id: scarce.id, quantity: -1 }] },
      ];
      for (const body of attempts) expect((await request(api.app).post(CREATE).set(bearer(customer.access)).send(body)).status).toBeGreaterThanOrEqual(400);
      expect(await countEvents()).toBe(before);
    });

    it('When a staff product change fails in its transaction (unknown category), then neither the change nor its event is written', async () => {
      const product = await insertProduct(api, { title: 'Steady shelf', category_id: category.id, price: '15.00', stock_quantity: 4 });
      const before = await countEvents();
      const response = await request(api.app).patch(`/api/v1/admin/products/${product.id}`).set(bearer(staff.access)).send({ price: '16.00', category: 987_654 });
      expect(response.status).toBe(400);
      expect(await countEvents()).toBe(before);
    });

    it('When the transaction that recorded an event rolls back, then the event is gone with it', async () => {
      const before = await countEvents();
      await expect(
        api.db.transaction(async (trx) => {
          await recordEvent(trx, { type: 'product.updated', resource: { type: 'product', id: 1 }, object: { id: 1 } });
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      expect(await countEvents()).toBe(before);
    });
  });

  describe('under concurrency', () => {
    it('When 100 checkouts race for 60 units, then the 60 placed orders have exactly one order.placed each and the refused ones none', async () => {
      const shoppers = await Promise.all(Array.from({ length: 10 }, () => registerUser(api)));
      const drum = await insertProduct(api, { title: 'Race drum', category_id: category.id, price: '5.00', stock_quantity: 60 });
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, index) =>
          request(api.app)
            .post(CREATE)
            .set(bearer(shoppers[index % 10]!.access))
            .send({ items: [{ product_id: drum.id, quantity: 1 }] }),
        ),
      );
      const placed = responses.filter((response) => response.status === 201).map((response) => (response.body as { id: number }).id);
      expect(placed).toHaveLength(60);
      expect(responses.filter((response) => response.status !== 201).every((response) => response.status === 409)).toBe(true);
      const events = await api.db('events').where({ type: 'order.placed' }).whereIn('resource_id', placed.map(String)).select('resource_id');
      expect(events.map((event: { resource_id: string }) => Number(event.resource_id)).sort((a, b) => a - b)).toEqual([...placed].sort((a, b) => a - b));
      const orphans = await api.db('events').where({ type: 'order.placed' }).whereNotIn('resource_id', api.db('orders').select(api.db.raw('id::text'))).count<{ count: string }[]>('* as count');
      expect(Number(orphans[0]?.count)).toBe(0);
    });
  });
});
