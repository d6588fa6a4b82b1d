import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, insertProducts, PRODUCT_KEYS, registerStaff, NOT_AUTHENTICATED, type CategoryRecord, type ProductRecord, ISO_MICROS } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { addToCart, cartLines, countRows, CREATE, eventsOf, order, ORDER_ITEM_KEYS, ORDER_KEYS, ordersOf, placeOrder, shippingInput, stockOf, stocks, trackingNumber, type OrderBody, UNPAID_LIMIT_LIFTED } from './order-helpers';

describe('placing an order', () => {
  let api: TestApi;
  let category: CategoryRecord;
  let staff: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', ...UNPAID_LIMIT_LIFTED });
    category = await insertCategory(api, { name: 'Checkout aisle', slug: 'checkout-aisle' });
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  const product = (title: string, price: string, stock: number, extra: { is_active?: boolean } = {}): Promise<ProductRecord> =>
    insertProduct(api, { title, category_id: category.id, price, stock_quantity: stock, ...extra });

  describe('from an items list', () => {
    it.each([CREATE, '/api/v1/orders/'])('When %s is posted with items, then 201 returns the full order in the documented key order', async (path) => {
      const user = await registerUser(api);
      const mug = await product('Enamel mug', '19.99', 10);
      const response = await request(api.app)
        .post(path)
        .set(bearer(user.access))
        .send({ items: [{ product_id: mug.id, quantity: 3 }] });
      expect(response.status).toBe(201);
      const body = response.body as OrderBody;
      expect(Object.keys(body)).toEqual(ORDER_KEYS);
      expect(body).toEqual({
        id: expect.any(Number),
        user: user.id,
        user_email: user.email,
        status: 'pending',
        payment_status: 'unpaid',
        total_amount: '59.97',
        currency: 'USD',
        shipping_address: null,
        tracking_number: trackingNumber(body.id),
        payment_due_at: expect.stringMatching(ISO_MICROS),
        cancel_reason: null,
        created_at: expect.stringMatching(ISO_MICROS),
        updated_at: expect.stringMatching(ISO_MICROS),
        items: [
          {
            id: expect.any(Number),
            product: expect.objectContaining({ id: mug.id, title: 'Enamel mug', price: '19.99', stock_quantity: 7, category: category.id, image: null }),
            product_id: mug.id,
            product_title: 'Enamel mug',
            quantity: 3,
            unit_price: '19.99',
            subtotal: '59.97',
          },
        ],
      });
      expect(body.tracking_number).toMatch(/^TRK\d{8}$/);
      // The stock is reserved for ORDER_PAYMENT_TIMEOUT (default 30 minutes) from the order's creation.
      expect(Date.parse(body.payment_due_at as string) - Date.parse(body.created_at)).toBeCloseTo(1800_000, -3);
      expect(Object.keys(body.items[0] as object)).toEqual(ORDER_ITEM_KEYS);
      expect(Object.keys(body.items[0]?.product as object)).toEqual(PRODUCT_KEYS);
      expect(await stockOf(api, mug.id)).toBe(7);
      const stored = await api.db('orders').where({ id: body.id }).first();
      expect(stored).toMatchObject({ user_id: user.id, status: 'pending', payment_status: 'unpaid', total_amount: '59.97', currency: 'USD' });
      expect(await eventsOf(api, body.id)).toEqual([{ from_status: null, to_status: 'pending', actor_id: user.id, actor_role: 'customer', note: '' }]);
    });

    it('When several lines are ordered, then each subtotal and the total are exact decimals', async () => {
      const user = await registerUser(api);
      const [a, b, c] = await insertProducts(api, [
        { title: 'Tenth', category_id: category.id, price: '0.10', stock_quantity: 50 },
        { title: 'Twentieth', category_id: category.id, price: '0.20', stock_quantity: 50 },
        { title: 'Odd cents', category_id: category.id, price: '33.33', stock_quantity: 50 },
      ]);
      const body = await placeOrder(api, user, {
        items: [
          { product_id: a?.id, quantity: 7 },
          { product_id: b?.id, quantity: 1 },
          { product_id: c?.id, quantity: 3 },
        ],
      });
      // 0.70 + 0.20 + 99.99: no floating-point drift (0.1 * 7 + 0.2 would be 0.9000000000000001).
      expect(body.total_amount).toBe('100.89');
      expect(body.items.map((item) => [item.product_id, item.quantity, item.unit_price, item.subtotal])).toEqual([
        [a?.id, 7, '0.10', '0.70'],
        [b?.id, 1, '0.20', '0.20'],
        [c?.id, 3, '33.33', '99.99'],
      ]);
      expect(await stocks(api, [a?.id as number, b?.id as number, c?.id as number])).toEqual({ [a?.id as number]: 43, [b?.id as number]: 49, [c?.id as number]: 47 });
    });

    it('When the same product id appears twice, then it becomes one line with the summed quantity', async () => {
      const user = await registerUser(api);
      const pen = await product('Fountain pen', '12.50', 10);
      const other = await product('Ink', '4.00', 10);
      const body = await placeOrder(api, user, {
        items: [
          { product_id: pen.id, quantity: 2 },
          { product_id: other.id, quantity: 1 },
          { product_id: pen.id, quantity: 3 },
        ],
      });
      expect(body.items).toHaveLength(2);
      expect(body.items.map((item) => [item.product_id, item.quantity, item.subtotal])).toEqual([
        [pen.id, 5, '62.50'],
        [other.id, 1, '4.00'],
      ]);
      expect(body.total_amount).toBe('66.50');
      expect(await stockOf(api, pen.id)).toBe(5);
      expect(await countRows(api, 'order_items', { order_id: body.id })).toBe(2);
    });

    it('When exactly the whole stock is ordered, then it succeeds and the stock reaches 0', async () => {
      const user = await registerUser(api);
      const last = await product('Last units', '5.00', 4);
      const body = await placeOrder(api, user, { items: [{ product_id: last.id, quantity: 4 }] });
      expect(body.total_amount).toBe('20.00');
      expect(await stockOf(api, last.id)).toBe(0);
    });

    it('When the price changes after ordering, then the order keeps the price it was sold at', async () => {
      const user = await registerUser(api);
      const lamp = await product('Desk lamp', '45.00', 5);
      const body = await placeOrder(api, user, { items: [{ product_id: lamp.id, quantity: 2 }] });
      await api.db('products').where({ id: lamp.id }).update({ price: '60.00', title: 'Desk lamp v2' });
      const read = await request(api.app).get(order(body.id)).set(bearer(user.access));
      expect(read.status).toBe(200);
      expect(read.body.total_amount).toBe('90.00');
      expect(read.body.items[0]).toMatchObject({ unit_price: '45.00', subtotal: '90.00', product_title: 'Desk lamp' });
      // The nested product is the product as it is now.
      expect(read.body.items[0].product).toMatchObject({ id: lamp.id, title: 'Desk lamp v2', price: '60.00' });
    });

    it('When items are given, then only the ordered quantities leave the cart and unrelated lines stay', async () => {
      const user = await registerUser(api);
      const tea = await product('Tea', '3.00', 20);
      const cup = await product('Cup', '6.00', 20);
      const spoon = await product('Spoon', '1.00', 20);
      await addToCart(api, user, tea.id, 5);
      await addToCart(api, user, cup.id, 1);
      await addToCart(api, user, spoon.id, 2);
      await placeOrder(api, user, {
        items: [
          { product_id: tea.id, quantity: 2 },
          { product_id: spoon.id, quantity: 4 },
        ],
      });
      // Tea: 5 - 2 = 3 stay. Spoon: ordered more than the cart held, so the line goes. Cup: untouched.
      expect(await cartLines(api, user.id)).toEqual({ [tea.id]: 3, [cup.id]: 1 });
      expect(await stocks(api, [tea.id, cup.id, spoon.id])).toEqual({ [tea.id]: 18, [cup.id]: 20, [spoon.id]: 16 });
    });

    it('When items are given and the product is not in the cart, then the cart is unchanged', async () => {
      const user = await registerUser(api);
      const inCart = await product('In the cart', '2.00', 10);
      const notInCart = await product('Not in the cart', '2.00', 10);
      await addToCart(api, user, inCart.id, 2);
      await placeOrder(api, user, { items: [{ product_id: notInCart.id, quantity: 1 }] });
      expect(await cartLines(api, user.id)).toEqual({ [inCart.id]: 2 });
    });

    it('When the caller has never had a cart, then ordering items works and creates no cart', async () => {
      const user = await registerUser(api);
      const item = await product('No cart needed', '8.00', 3);
      const body = await placeOrder(api, user, { items: [{ product_id: item.id, quantity: 1 }] });
      expect(body.total_amount).toBe('8.00');
      expect(await countRows(api, 'carts', { user_id: user.id })).toBe(0);
    });

    it('When the body is form-encoded with digit strings, then the order is placed as with JSON', async () => {
      const user = await registerUser(api);
      const item = await product('Form order', '2.50', 10);
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({ items: [{ product_id: String(item.id), quantity: '4' }] });
      expect(response.status).toBe(201);
      expect(response.body.total_amount).toBe('10.00');
      expect(response.body.items[0].quantity).toBe(4);
      expect(await stockOf(api, item.id)).toBe(6);
    });

    it('When staff place an order, then it is theirs like any customer order', async () => {
      const item = await product('Staff purchase', '1.00', 2);
      const body = await placeOrder(api, staff, { items: [{ product_id: item.id, quantity: 1 }] });
      expect(body.user).toBe(staff.id);
      expect(body.user_email).toBe(staff.email);
    });

    it('When anonymous, then 401 and nothing is created', async () => {
      const item = await product('Anon', '1.00', 2);
      const before = await countRows(api, 'orders');
      for (const path of [CREATE, '/api/v1/orders/']) {
        const response = await request(api.app)
          .post(path)
          .send({ items: [{ product_id: item.id, quantity: 1 }] });
        expect(response.status).toBe(401);
        expect(response.body).toEqual(NOT_AUTHENTICATED);
      }
      expect(await countRows(api, 'orders')).toBe(before);
      expect(await stockOf(api, item.id)).toBe(2);
    });
  });

  describe('from the cart', () => {
    it('When items are absent, then the whole cart is ordered and its lines removed', async () => {
      const user = await registerUser(api);
      const [bread, jam] = await insertProducts(api, [
        { title: 'Bread', category_id: category.id, price: '2.40', stock_quantity: 10 },
        { title: 'Jam', category_id: category.id, price: '3.15', stock_quantity: 10 },
      ]);
      await addToCart(api, user, bread?.id as number, 2);
      await addToCart(api, user, jam?.id as number, 3);
      const response = await request(api.app).post(CREATE).set(bearer(user.access)).send({});
      expect(response.status).toBe(201);
      expect(response.body.total_amount).toBe('14.25');
      expect((response.body as OrderBody).items.map((item) => [item.product_id, item.quantity, item.unit_price, item.subtotal])).toEqual([
        [bread?.id, 2, '2.40', '4.80'],
        [jam?.id, 3, '3.15', '9.45'],
      ]);
      expect(await cartLines(api, user.id)).toEqual({});
      expect(await stocks(api, [bread?.id as number, jam?.id as number])).toEqual({ [bread?.id as number]: 8, [jam?.id as number]: 7 });
      const cart = await request(api.app).get('/api/v1/cart/count/').set(bearer(user.access));
      expect(cart.status).toBe(200);
      expect(cart.body).toEqual({ count: 0 });
    });

    it('When the body is empty (no JSON at all), then the cart is ordered', async () => {
      const user = await registerUser(api);
      const item = await product('Bodyless', '1.25', 10);
      await addToCart(api, user, item.id, 4);
      const response = await request(api.app).post('/api/v1/orders/').set(bearer(user.access));
      expect(response.status).toBe(201);
      expect(response.body.total_amount).toBe('5.00');
      expect(await cartLines(api, user.id)).toEqual({});
    });

    it('When the cart is empty and no items are sent, then 400 on items and nothing is created', async () => {
      const user = await registerUser(api);
      await request(api.app).get('/api/v1/cart/').set(bearer(user.access)).expect(200);
      const response = await request(api.app).post(CREATE).set(bearer(user.access)).send({});
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ items: ['Your cart is empty: add products to it or send items.'], code: 'invalid' });
      expect(await ordersOf(api, user.id)).toBe(0);
    });

    it('When the caller has no cart at all and no items are sent, then the same 400', async () => {
      const user = await registerUser(api);
      const response = await request(api.app).post(CREATE).set(bearer(user.access)).send({});
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ items: ['Your cart is empty: add products to it or send items.'], code: 'invalid' });
      expect(await ordersOf(api, user.id)).toBe(0);
    });

    it('When a cart line exceeds the stock left, then 409 insufficient_stock and the cart and stock are unchanged', async () => {
      const user = await registerUser(api);
      const plenty = await product('Plenty', '1.00', 50);
      const scarce = await product('Scarce', '1.00', 5);
      await addToCart(api, user, plenty.id, 2);
      await addToCart(api, user, scarce.id, 5);
      await api.db('products').where({ id: scarce.id }).update({ stock_quantity: 3 });
      const response = await request(api.app).post(CREATE).set(bearer(user.access)).send({});
      expect(response.status).toBe(409);
      expect(response.body).toEqual({
        detail: `Only 3 in stock for product ${scarce.id}.`,
        code: 'insufficient_stock',
        product_id: scarce.id,
        available: 3,
        requested: 5,
      });
      expect(await cartLines(api, user.id)).toEqual({ [plenty.id]: 2, [scarce.id]: 5 });
      expect(await stocks(api, [plenty.id, scarce.id])).toEqual({ [plenty.id]: 50, [scarce.id]: 3 });
      expect(await ordersOf(api, user.id)).toBe(0);
    });

    it('When a product in the cart was deactivated, then 409 product_unavailable and nothing changes', async () => {
      const user = await registerUser(api);
      const item = await product('Discontinued', '1.00', 5);
      await addToCart(api, user, item.id, 1);
      await api.db('products').where({ id: item.id }).update({ is_active: false });
      const response = await request(api.app).post(CREATE).set(bearer(user.access)).send({});
      expect(response.status).toBe(409);
      expect(response.body).toEqual({ detail: `Product ${item.id} is not available.`, code: 'product_unavailable', product_id: item.id });
      expect(await cartLines(api, user.id)).toEqual({ [item.id]: 1 });
      expect(await stockOf(api, item.id)).toBe(5);
    });

    it("When another user orders from their cart, then this user's cart is untouched", async () => {
      const alice = await registerUser(api);
      const bob = await registerUser(api);
      const item = await product('Shared taste', '1.00', 20);
      await addToCart(api, alice, item.id, 2);
      await addToCart(api, bob, item.id, 3);
      await placeOrder(api, bob, {});
      expect(await cartLines(api, alice.id)).toEqual({ [item.id]: 2 });
      expect(await cartLines(api, bob.id)).toEqual({});
      expect(await stockOf(api, item.id)).toBe(17);
    });
  });

  describe('shipping address', () => {
    async function createAddress(user: RegisteredUser, overrides: Record<string, unknown> = {}): Promise<{ id: number }> {
      const response = await request(api.app).post('/api/v1/users/addresses/').set(bearer(user.access)).send(shippingInput(overrides));
      expect(response.status).toBe(201);
      return response.body as { id: number };
    }

    it('When shipping_address_id names an own address, then it is snapshotted and later edits or deletion do not change the order', async () => {
      const user = await registerUser(api);
      const item = await product('Parcel', '9.00', 5);
      const address = await createAddress(user, { city: 'Bath', address_line_2: '' });
      const body = await placeOrder(api, user, { items: [{ product_id: item.id, quantity: 1 }], shipping_address_id: address.id });
      const snapshot = {
        first_name: 'Ada',
        last_name: 'Lovelace',
        address_line_1: '12 Analytical Row',
        address_line_2: '',
        city: 'Bath',
        postal_code: 'N1 9GU',
        country: 'United Kingdom',
        phone_number: '+44 20 7946 0000',
      };
      expect(body.shipping_address).toEqual(snapshot);

      const edit = await request(api.app).patch(`/api/v1/users/addresses/${address.id}/`).set(bearer(user.access)).send({ city: 'York' });
      expect(edit.status).toBe(200);
      expect((await request(api.app).get(order(body.id)).set(bearer(user.access))).body.shipping_address).toEqual(snapshot);

      const removed = await request(api.app).delete(`/api/v1/users/addresses/${address.id}/`).set(bearer(user.access));
      expect(removed.status).toBe(204);
      const read = await request(api.app).get(order(body.id)).set(bearer(user.access));
      expect(read.status).toBe(200);
      expect(read.body.shipping_address).toEqual(snapshot);
    });

    it('When an inline shipping_address is sent, then it is stored as given (address_line_2 defaulting to "")', async () => {
      const user = await registerUser(api);
      const item = await product('Inline parcel', '9.00', 5);
      const { address_line_2: _omit, ...inline } = shippingInput({ city: 'Leeds' });
      const body = await placeOrder(api, user, { items: [{ product_id: item.id, quantity: 1 }], shipping_address: inline });
      expect(body.shipping_address).toEqual({ ...inline, address_line_2: '' });
      const row = await api.db('orders').where({ id: body.id }).first<{ shipping_address: unknown }>('shipping_address');
      expect(row.shipping_address).toEqual({ ...inline, address_line_2: '' });
    });

    it('When the inline address lacks fields, then 400 names them under shipping_address and nothing is created', async () => {
      const user = await registerUser(api);
      const item = await product('Bad inline', '9.00', 5);
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({ items: [{ product_id: item.id, quantity: 1 }], shipping_address: { first_name: 'Ada', city: '' } });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        shipping_address: {
          last_name: ['This field is required.'],
          address_line_1: ['This field is required.'],
          city: ['This field may not be blank.'],
          postal_code: ['This field is required.'],
          country: ['This field is required.'],
          phone_number: ['This field is required.'],
        },
        code: 'invalid',
      });
      expect(await ordersOf(api, user.id)).toBe(0);
      expect(await stockOf(api, item.id)).toBe(5);
    });

    it("When shipping_address_id is another user's address, then 400 and nothing is created", async () => {
      const user = await registerUser(api);
      const stranger = await registerUser(api);
      const item = await product('Not your address', '9.00', 5);
      const theirs = await createAddress(stranger);
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({ items: [{ product_id: item.id, quantity: 1 }], shipping_address_id: theirs.id });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ shipping_address_id: ['No such address in your address book.'], code: 'invalid' });
      expect(await ordersOf(api, user.id)).toBe(0);
      expect(await stockOf(api, item.id)).toBe(5);
    });

    it('When shipping_address_id does not exist or is not a number, then 400', async () => {
      const user = await registerUser(api);
      const item = await product('Nowhere', '9.00', 5);
      const missing = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({ items: [{ product_id: item.id, quantity: 1 }], shipping_address_id: 987_654 });
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({ shipping_address_id: ['No such address in your address book.'], code: 'invalid' });
      const text = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({ items: [{ product_id: item.id, quantity: 1 }], shipping_address_id: 'home' });
      expect(text.status).toBe(400);
      expect(text.body).toEqual({ shipping_address_id: ['A valid integer is required.'], code: 'invalid' });
      expect(await ordersOf(api, user.id)).toBe(0);
    });

    it('When both shipping_address_id and shipping_address are sent, then 400 and nothing is created', async () => {
      const user = await registerUser(api);
      const item = await product('Both addresses', '9.00', 5);
      const own = await createAddress(user);
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({ items: [{ product_id: item.id, quantity: 1 }], shipping_address_id: own.id, shipping_address: shippingInput() });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ non_field_errors: ['Send either shipping_address_id or shipping_address, not both.'], code: 'invalid' });
      expect(await ordersOf(api, user.id)).toBe(0);
      expect(await stockOf(api, item.id)).toBe(5);
    });
  });

  describe('bad input: 400 with a field map, nothing created, stock unchanged', () => {
    let user: RegisteredUser;
    let item: ProductRecord;

    beforeAll(async () => {
      user = await registerUser(api);
      item = await product('Guarded', '10.00', 1000);
    });

    const cases: [string, () => unknown, Record<string, unknown> | (() => Record<string, unknown>)][] = [
      ['items: "str"', () => ({ items: 'str' }), { items: ['Expected a list of items but got type "str".'] }],
      ['items: []', () => ({ items: [] }), { items: ['This list may not be empty.'] }],
      ['items: null', () => ({ items: null }), { items: ['This field may not be null.'] }],
      ['items: [5]', () => ({ items: [5] }), { items: { 0: ['Invalid data. Expected a dictionary, but got int.'] } }],
      ['a line without product_id', () => ({ items: [{ quantity: 1 }] }), { items: { 0: { product_id: ['This field is required.'] } } }],
      ['a line without quantity', () => ({ items: [{ product_id: item.id }] }), { items: { 0: { quantity: ['This field is required.'] } } }],
      ['quantity 0', () => ({ items: [{ product_id: item.id, quantity: 0 }] }), { items: { 0: { quantity: ['Quantity must be greater than 0.'] } } }],
      ['quantity -3', () => ({ items: [{ product_id: item.id, quantity: -3 }] }), { items: { 0: { quantity: ['Quantity must be greater than 0.'] } } }],
      ['quantity "abc"', () => ({ items: [{ product_id: item.id, quantity: 'abc' }] }), { items: { 0: { quantity: ['A valid integer is required.'] } } }],
      ['quantity 1.5', () => ({ items: [{ product_id: item.id, quantity: 1.5 }] }), { items: { 0: { quantity: ['A valid integer is required.'] } } }],
      ['quantity true', () => ({ items: [{ product_id: item.id, quantity: true }] }), { items: { 0: { quantity: ['A valid integer is required.'] } } }],
      ['quantity above CART_MAX_QUANTITY', () => ({ items: [{ product_id: item.id, quantity: 101 }] }), { items: { 0: { quantity: ['Ensure this value is less than or equal to 100.'] } } }],
      ['quantity 1000000', () => ({ items: [{ product_id: item.id, quantity: 1_000_000 }] }), { items: { 0: { quantity: ['Ensure this value is less than or equal to 100.'] } } }],
      // Beyond 2^53 a JSON number is no longer an exact integer.
      ['quantity 1e20', () => ({ items: [{ product_id: item.id, quantity: 1e20 }] }), { items: { 0: { quantity: ['A valid integer is required.'] } } }],
      ['product_id 1e20', () => ({ items: [{ product_id: 1e20, quantity: 1 }] }), { items: { 0: { product_id: ['A valid integer is required.'] } } }],
      [
        'product_id beyond 2^53 as digits',
        () => ({ items: [{ product_id: '99999999999999999999', quantity: 1 }] }),
        { items: { 0: { product_id: ['A valid integer is required.'] } } },
      ],
      ['product_id "abc"', () => ({ items: [{ product_id: 'abc', quantity: 1 }] }), { items: { 0: { product_id: ['A valid integer is required.'] } } }],
      ['product_id 0', () => ({ items: [{ product_id: 0, quantity: 1 }] }), { items: { 0: { product_id: ['Ensure this value is greater than or equal to 1.'] } } }],
      [
        'SQL in product_id',
        () => ({ items: [{ product_id: "1; DROP TABLE orders; --", quantity: 1 }] }),
        { items: { 0: { product_id: ['A valid integer is required.'] } } },
      ],
      [
        'SQL in quantity',
        () => ({ items: [{ product_id: item.id, quantity: "1 OR 1=1" }] }),
        { items: { 0: { quantity: ['A valid integer is required.'] } } },
      ],
      [
        'the second line bad',
        () => ({ items: [{ product_id: item.id, quantity: 1 }, { product_id: item.id, quantity: 0 }] }),
        { items: { 1: { quantity: ['Quantity must be greater than 0.'] } } },
      ],
      [
        'more than 100 lines',
        () => ({ items: Array.from({ length: 101 }, () => ({ product_id: item.id, quantity: 1 })) }),
        { items: ['Ensure this field has no more than 100 elements.'] },
      ],
      [
        'a repeated product summing above CART_MAX_QUANTITY',
        () => ({ items: [{ product_id: item.id, quantity: 60 }, { product_id: item.id, quantity: 41 }] }),
        () => ({ items: [`At most 100 of product ${item.id} per order.`] }),
      ],
    ];

    it.each(cases)('When the body has %s, then 400 with the field map', async (_label, body, expected) => {
      const ordersBefore = await countRows(api, 'orders');
      const response = await request(api.app).post(CREATE).set(bearer(user.access)).send(body() as object);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ ...(typeof expected === 'function' ? expected() : expected), code: 'invalid' });
      expect(await countRows(api, 'orders')).toBe(ordersBefore);
      expect(await stockOf(api, item.id)).toBe(1000);
    });

    it('When product_id is a SQL injection string that starts with digits, then 400 and the tables are intact', async () => {
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({ items: [{ product_id: `${item.id} OR 1=1`, quantity: 1 }] });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ items: { 0: { product_id: ['A valid integer is required.'] } }, code: 'invalid' });
      expect(await countRows(api, 'products', { id: item.id })).toBe(1);
      expect(await stockOf(api, item.id)).toBe(1000);
    });

    it('When the JSON is malformed, then 400 parse_error', async () => {
      const before = await countRows(api, 'orders');
      const response = await request(api.app).post(CREATE).set(bearer(user.access)).set('Content-Type', 'application/json').send('{"items": [');
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('parse_error');
      expect(response.body.detail).toMatch(/^JSON parse error - /);
      expect(await countRows(api, 'orders')).toBe(before);
    });

    it('When the product does not exist, then 400 "Product with id N does not exist."', async () => {
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({ items: [{ product_id: 999_999, quantity: 1 }] });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ items: ['Product with id 999999 does not exist.'], code: 'invalid' });
    });

    it('When one of two products does not exist, then 400 and the existing one keeps its stock', async () => {
      const before = await countRows(api, 'orders');
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({
          items: [
            { product_id: item.id, quantity: 5 },
            { product_id: 999_998, quantity: 1 },
          ],
        });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ items: ['Product with id 999998 does not exist.'], code: 'invalid' });
      expect(await stockOf(api, item.id)).toBe(1000);
      expect(await countRows(api, 'orders')).toBe(before);
    });
  });

  describe('stock and availability', () => {
    it('When a product is inactive, then 409 product_unavailable and nothing is created', async () => {
      const user = await registerUser(api);
      const hidden = await product('Hidden', '10.00', 5, { is_active: false });
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({ items: [{ product_id: hidden.id, quantity: 1 }] });
      expect(response.status).toBe(409);
      expect(response.body).toEqual({ detail: `Product ${hidden.id} is not available.`, code: 'product_unavailable', product_id: hidden.id });
      expect(await ordersOf(api, user.id)).toBe(0);
      expect(await stockOf(api, hidden.id)).toBe(5);
    });

    it('When more than the stock is ordered, then 409 insufficient_stock with product_id, available and requested', async () => {
      const user = await registerUser(api);
      const scarce = await product('Scarce vase', '30.00', 2);
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({ items: [{ product_id: scarce.id, quantity: 3 }] });
      expect(response.status).toBe(409);
      expect(response.body).toEqual({
        detail: `Only 2 in stock for product ${scarce.id}.`,
        code: 'insufficient_stock',
        product_id: scarce.id,
        available: 2,
        requested: 3,
      });
      expect(await stockOf(api, scarce.id)).toBe(2);
      expect(await ordersOf(api, user.id)).toBe(0);
    });

    it('When duplicate lines together exceed the stock, then 409 reports the merged quantity', async () => {
      const user = await registerUser(api);
      const scarce = await product('Merged scarce', '1.00', 4);
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({
          items: [
            { product_id: scarce.id, quantity: 3 },
            { product_id: scarce.id, quantity: 2 },
          ],
        });
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'insufficient_stock', product_id: scarce.id, available: 4, requested: 5 });
      expect(await stockOf(api, scarce.id)).toBe(4);
    });

    it('When the second line of a multi-line order fails, then the whole order is rolled back: the first line keeps its stock', async () => {
      const user = await registerUser(api);
      const first = await product('Reserved first', '5.00', 10);
      const second = await product('Short second', '5.00', 1);
      const third = await product('Never reached', '5.00', 10);
      await addToCart(api, user, first.id, 2);
      const ordersBefore = await countRows(api, 'orders');
      const itemsBefore = await countRows(api, 'order_items');
      const eventsBefore = await countRows(api, 'order_events');
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({
          items: [
            { product_id: first.id, quantity: 4 },
            { product_id: second.id, quantity: 2 },
            { product_id: third.id, quantity: 1 },
          ],
        });
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'insufficient_stock', product_id: second.id, available: 1, requested: 2 });
      expect(await stocks(api, [first.id, second.id, third.id])).toEqual({ [first.id]: 10, [second.id]: 1, [third.id]: 10 });
      expect(await countRows(api, 'orders')).toBe(ordersBefore);
      expect(await countRows(api, 'order_items')).toBe(itemsBefore);
      expect(await countRows(api, 'order_events')).toBe(eventsBefore);
      expect(await cartLines(api, user.id)).toEqual({ [first.id]: 2 });
    });

    it('When stock runs out between two orders, then the first succeeds and the second gets 409', async () => {
      const alice = await registerUser(api);
      const bob = await registerUser(api);
      const scarce = await product('Two left', '7.00', 2);
      await placeOrder(api, alice, { items: [{ product_id: scarce.id, quantity: 2 }] });
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(bob.access))
        .send({ items: [{ product_id: scarce.id, quantity: 1 }] });
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'insufficient_stock', available: 0, requested: 1 });
      expect(await stockOf(api, scarce.id)).toBe(0);
    });

    it('When the total would exceed 9999999999.99, then 400 and nothing is created or reserved', async () => {
      const user = await registerUser(api);
      const [a, b] = await insertProducts(api, [
        { title: 'Yacht', category_id: category.id, price: '99999999.99', stock_quantity: 1000 },
        { title: 'Jet', category_id: category.id, price: '99999999.99', stock_quantity: 1000 },
      ]);
      const response = await request(api.app)
        .post(CREATE)
        .set(bearer(user.access))
        .send({
          items: [
            { product_id: a?.id, quantity: 100 },
            { product_id: b?.id, quantity: 1 },
          ],
        });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ items: ['The order total may not exceed 9999999999.99.'], code: 'invalid' });
      expect(await stocks(api, [a?.id as number, b?.id as number])).toEqual({ [a?.id as number]: 1000, [b?.id as number]: 1000 });
      expect(await ordersOf(api, user.id)).toBe(0);
    });

    it('When the total is just within the numeric range, then it is stored exactly', async () => {
      const user = await registerUser(api);
      const big = await product('Island', '99999999.99', 1000);
      const body = await placeOrder(api, user, { items: [{ product_id: big.id, quantity: 100 }] });
      expect(body.total_amount).toBe('9999999999.00');
      expect(body.items[0]?.subtotal).toBe('9999999999.00');
    });
  });

  describe('a product deleted after ordering', () => {
    it('When staff delete the product, then the order still reads with product null, product_id null, title and total kept', async () => {
      const user = await registerUser(api);
      const doomed = await product('Doomed kettle', '24.99', 5);
      const kept = await product('Kept saucer', '3.00', 5);
      const placed = await placeOrder(api, user, {
        items: [
          { product_id: doomed.id, quantity: 2 },
          { product_id: kept.id, quantity: 1 },
        ],
      });
      const deleted = await request(api.app).delete(`/api/v1/admin/products/${doomed.id}`).set(bearer(staff.access));
      expect(deleted.status).toBe(204);

      const read = await request(api.app).get(order(placed.id)).set(bearer(user.access));
      expect(read.status).toBe(200);
      expect(read.body.total_amount).toBe('52.98');
      const items = (read.body as OrderBody).items;
      expect(items).toHaveLength(2);
      expect(items[0]).toEqual({ id: placed.items[0]?.id, product: null, product_id: null, product_title: 'Doomed kettle', quantity: 2, unit_price: '24.99', subtotal: '49.98' });
      expect(items[1]).toMatchObject({ product_id: kept.id, product_title: 'Kept saucer', subtotal: '3.00' });
      expect(items[1]?.product).toMatchObject({ id: kept.id });

      const list = await request(api.app).get('/api/v1/orders/').set(bearer(user.access));
      expect(list.status).toBe(200);
      expect(list.body.results[0].items[0]).toMatchObject({ product: null, product_id: null, product_title: 'Doomed kettle' });
    });

    it('When an order holding a deleted product is cancelled, then the cancel succeeds and the other stock comes back', async () => {
      const user = await registerUser(api);
      const doomed = await product('Gone', '2.00', 5);
      const kept = await product('Stays', '2.00', 5);
      const placed = await placeOrder(api, user, {
        items: [
          { product_id: doomed.id, quantity: 1 },
          { product_id: kept.id, quantity: 2 },
        ],
      });
      await api.db('products').where({ id: doomed.id }).delete();
      const response = await request(api.app).post(`/api/v1/orders/${placed.id}/cancel/`).set(bearer(user.access));
      expect(response.status).toBe(200);
      expect(response.body.order.status).toBe('cancelled');
      expect(await stockOf(api, kept.id)).toBe(5);
    });
  });
});
