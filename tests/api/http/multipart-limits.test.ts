import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { IMAGES, insertCategory, insertProduct, registerStaff, type CategoryRecord } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';

const BODY_LIMIT_BYTES = 16 * 1024;
const MEDIA_MAX_BYTES = 20_000;

/** A multipart body of `count` text fields of `size` bytes each, built by hand (exact bytes, any count). */
function textFields(count: number, size: number, boundary = 'nexus-boundary'): { type: string; body: Buffer } {
  const parts: string[] = [];
  for (let index = 0; index < count; index += 1) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="f${index}"\r\n\r\n${'x'.repeat(size)}\r\n`);
  return { type: `multipart/form-data; boundary=${boundary}`, body: Buffer.from(`${parts.join('')}--${boundary}--\r\n`) };
}

const UNSUPPORTED = (type: string) => ({ detail: `Unsupported media type "${type}" in request.`, code: 'unsupported_media_type' });

/**
 * Multipart bodies are read only by the upload endpoints, and there everything that is not the file is held
 * to BODY_LIMIT (16 KiB here): a field count, a field size and a total. Every other endpoint refuses
 * multipart with 415 instead of buffering it outside the limit.
 */
describe('multipart bodies and BODY_LIMIT', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let customer: RegisteredUser;
  let category: CategoryRecord;
  let productId: number;

  beforeAll(async () => {
    api = await startTestApi({ BODY_LIMIT: '16kb', MEDIA_MAX_BYTES: String(MEDIA_MAX_BYTES) });
    staff = await registerStaff(api);
    customer = await registerUser(api);
    category = await insertCategory(api, { name: 'Multipart', slug: 'multipart' });
    productId = (await insertProduct(api, { title: 'Carted', category_id: category.id, stock_quantity: 50 })).id;
  });
  afterAll(() => api.close());

  const rowCounts = async () => ({
    products: Number((await api.db('products').count({ n: '*' }).first())?.n),
    cartItems: Number((await api.db('cart_items').count({ n: '*' }).first())?.n),
  });

  it('When /cart/add/ gets 95 fields of 65 KB as multipart (the reported body), then 415 and the cart is unchanged', async () => {
    const before = await rowCounts();
    const { type, body } = textFields(95, 65 * 1024);
    const response = await request(api.app).post('/api/v1/cart/add/').set(bearer(customer.access)).set('Content-Type', type).send(body);
    expect([response.status, response.body]).toEqual([415, UNSUPPORTED(type)]);
    expect(await rowCounts()).toEqual(before);
  });

  it.each([
    ['post', '/api/v1/cart/add/'],
    ['post', '/api/v1/auth/login/'],
    ['post', '/api/v1/auth/register/'],
    ['post', '/api/v1/reviews/'],
    ['post', '/api/v1/categories/'],
    ['patch', '/api/v1/auth/profile/update/'],
  ] as const)('When %s %s gets a small, valid multipart form, then 415: only uploads read multipart', async (method, path) => {
    const call = request(api.app)[method](path).set(bearer(path.includes('categor') ? staff.access : customer.access));
    const response = await call.field('product_id', String(productId)).field('quantity', '1').field('name', 'x');
    expect(response.status).toBe(415);
    expect(response.body).toEqual({ detail: expect.stringMatching(/^Unsupported media type "multipart\/form-data; boundary=[^"]+" in request\.$/), code: 'unsupported_media_type' });
  });

  it('When the same fields come as JSON or form-urlencoded, then they work as before', async () => {
    const asJson = await request(api.app).post('/api/v1/cart/add/').set(bearer(customer.access)).send({ product_id: productId, quantity: 1 });
    expect(asJson.status).toBe(201);
    const asForm = await request(api.app).post('/api/v1/cart/add/').set(bearer(customer.access)).type('form').send({ product_id: String(productId), quantity: '1' });
    expect(asForm.status).toBe(201);
  });

  const upload = (type: string, body: Buffer) => request(api.app).post('/api/v1/products/').set(bearer(staff.access)).set('Content-Type', type).send(body);

  it.each([
    ['more fields than an upload form has', 21, 10, 'too many fields'],
    ['a field larger than BODY_LIMIT', 1, BODY_LIMIT_BYTES + 1, 'field value too long'],
    ['fields each within the limit that add up to more than BODY_LIMIT plus the file size', 19, 2_000 + Math.ceil((BODY_LIMIT_BYTES + MEDIA_MAX_BYTES) / 19), 'limit'],
  ])('When an upload carries %s, then 413 and no product is written', async (_case, count, size, message) => {
    const before = await rowCounts();
    const { type, body } = textFields(count, size);
    const response = await upload(type, body);
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ detail: expect.stringContaining(message), code: 'payload_too_large' });
    expect(await rowCounts()).toEqual(before);
  });

  it('When the oversized upload comes chunked (no Content-Length), then the total is still enforced: 413', async () => {
    const server: Server = createServer(api.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      // Ten fields of 4 KB: within the field count and each field's size, over the total of 16 KiB + 20,000 bytes.
      const { type, body } = textFields(10, 4_000);
      const status = await new Promise<number>((resolve, reject) => {
        const call = httpRequest(
          { host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', path: '/api/v1/products/', headers: { 'Content-Type': type, Authorization: `Bearer ${staff.access}` } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        call.on('error', reject);
        call.write(body.subarray(0, body.length / 2));
        call.end(body.subarray(body.length / 2));
      });
      expect(status).toBe(413);
    } finally {
      server.close();
    }
  });

  it('When an upload is a normal form with its image, then it is created; a file over MEDIA_MAX_BYTES is 413', async () => {
    const created = await request(api.app)
      .post('/api/v1/products/')
      .set(bearer(staff.access))
      .field('title', 'Uploaded')
      .field('price', '9.99')
      .field('category', String(category.id))
      .field('description', 'd'.repeat(BODY_LIMIT_BYTES - 1_000))
      .attach('image', IMAGES.png, { filename: 'ok.png', contentType: 'image/png' });
    expect(created.status).toBe(201);
    const big = await request(api.app)
      .post('/api/v1/products/')
      .set(bearer(staff.access))
      .field('title', 'Too big')
      .field('price', '1')
      .field('category', String(category.id))
      .attach('image', Buffer.concat([IMAGES.png, Buffer.alloc(MEDIA_MAX_BYTES)]), { filename: 'big.png', contentType: 'image/png' });
    expect([big.status, big.body.code]).toEqual([413, 'payload_too_large']);
  });
});
