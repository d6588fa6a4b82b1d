import { existsSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { IMAGES, INVALID_IMAGE, insertCategory, registerStaff, storedImages, type CategoryRecord, type ImageKind } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';

const HOST = 'shop.example.com';
const STORED_URL = new RegExp(`^http://${HOST.replace(/\./g, '\\.')}/media/products/[0-9a-f-]{36}\\.(png|jpg|gif|webp)$`);

describe('product images', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let category: CategoryRecord;

  beforeAll(async () => {
    api = await startTestApi();
    staff = await registerStaff(api);
    category = await insertCategory(api, { name: 'Pictures', slug: 'pictures' });
  });
  afterAll(() => api.close());

  /** A multipart create with the usual text fields and, optionally, one file. */
  function multipartCreate(path: string, file?: { data: Buffer; name: string; type: string }, token: string | null = staff.access) {
    const call = request(api.app).post(path).set('Host', HOST);
    if (token) call.set(bearer(token));
    call.field('title', 'Pictured').field('price', '9.99').field('category', String(category.id));
    if (file) call.attach('image', file.data, { filename: file.name, contentType: file.type });
    return call;
  }

  function mediaPath(url: string): string {
    return new URL(url).pathname;
  }

  function storedFile(url: string): string {
    return join(api.config.media.root, mediaPath(url).replace(/^\/media\//, ''));
  }

  it.each([
    ['png', 'image/png', 'png'],
    ['jpeg', 'image/jpeg', 'jpg'],
    ['gif', 'image/gif', 'gif'],
    ['webp', 'image/webp', 'webp'],
  ] as [ImageKind, string, string][])('When a %s file is uploaded, then it is stored under products/ and served back with an image type', async (kind, type, extension) => {
    const response = await multipartCreate('/api/v1/admin/products', { data: IMAGES[kind], name: `photo.${extension}`, type });
    expect(response.status).toBe(201);
    expect(response.body.image).toMatch(STORED_URL);
    expect(response.body.image).toMatch(new RegExp(`\\.${extension}$`));
    expect(existsSync(storedFile(response.body.image))).toBe(true);
    const served = await request(api.app).get(mediaPath(response.body.image)).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe(type);
    expect(Buffer.compare(served.body as Buffer, IMAGES[kind])).toBe(0);
    const publicView = await request(api.app).get(`/api/v1/products/${response.body.id}/`).set('Host', HOST);
    expect(publicView.body.image).toBe(response.body.image);
  });

  it('When the file type comes from the bytes, then a PNG named .gif is stored as .png', async () => {
    const response = await multipartCreate('/api/v1/products/', { data: IMAGES.png, name: 'liar.gif', type: 'image/gif' });
    expect(response.status).toBe(201);
    expect(response.body.image).toMatch(/\.png$/);
  });

  it.each([
    ['a text file', Buffer.from('just some text\n'), 'notes.png', 'image/png'],
    ['an SVG named .png', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'logo.png', 'image/png'],
    ['an empty file', Buffer.alloc(0), 'empty.png', 'image/png'],
    ['a truncated PNG signature', IMAGES.png.subarray(0, 6), 'cut.png', 'image/png'],
    ['an HTML page', Buffer.from('<!doctype html><html></html>'), 'page.jpg', 'image/jpeg'],
  ])('When %s is uploaded, then 400 Upload a valid image. and no file or product is left behind', async (_label, data, name, type) => {
    const before = storedImages(api);
    const products = await api.db('products').count({ count: '*' });
    const response = await multipartCreate('/api/v1/admin/products', { data, name, type });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(INVALID_IMAGE);
    expect(storedImages(api)).toEqual(before);
    expect(await api.db('products').count({ count: '*' })).toEqual(products);
  });

  it('When the upload is valid but another field is not, then 400 and the stored file is removed again', async () => {
    const before = storedImages(api);
    const response = await request(api.app)
      .post('/api/v1/admin/products')
      .set(bearer(staff.access))
      .field('title', 'Bad category')
      .field('price', '9.99')
      .field('category', '999999')
      .attach('image', IMAGES.png, { filename: 'ok.png', contentType: 'image/png' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ category: ['Invalid pk "999999" - object does not exist.'], code: 'invalid' });
    expect(storedImages(api)).toEqual(before);
    const badPrice = await request(api.app)
      .post('/api/v1/admin/products')
      .set(bearer(staff.access))
      .field('title', 'Bad price')
      .field('price', '0')
      .field('category', String(category.id))
      .attach('image', IMAGES.png, { filename: 'ok.png', contentType: 'image/png' });
    expect(badPrice.status).toBe(400);
    expect(badPrice.body).toEqual({ price: ['Ensure this value is greater than 0.'], code: 'invalid' });
    expect(storedImages(api)).toEqual(before);
  });

  it('When the file is over MEDIA_MAX_BYTES, then 413 and nothing is stored', async () => {
    const small = await startTestApi({ MEDIA_MAX_BYTES: '1024' });
    try {
      const smallStaff = await registerStaff(small);
      const smallCategory = await insertCategory(small, { name: 'Small', slug: 'small' });
      const big = Buffer.concat([IMAGES.png, Buffer.alloc(4096)]);
      const response = await request(small.app)
        .post('/api/v1/admin/products')
        .set(bearer(smallStaff.access))
        .field('title', 'Too big')
        .field('price', '1')
        .field('category', String(smallCategory.id))
        .attach('image', big, { filename: 'big.png', contentType: 'image/png' });
      expect(response.status).toBe(413);
      expect(response.body.code).toBe('payload_too_large');
      expect(storedImages(small)).toEqual([]);
      expect(await small.db('products').where({ title: 'Too big' })).toHaveLength(0);
      const fits = await request(small.app)
        .post('/api/v1/admin/products')
        .set(bearer(smallStaff.access))
        .field('title', 'Fits')
        .field('price', '1')
        .field('category', String(smallCategory.id))
        .attach('image', IMAGES.png, { filename: 'fits.png', contentType: 'image/png' });
      expect(fits.status).toBe(201);
      expect(storedImages(small)).toHaveLength(1);
    } finally {
      await small.close();
    }
  });

  it('When an image is replaced, then the old file is removed and the new one served', async () => {
    const created = await multipartCreate('/api/v1/admin/products', { data: IMAGES.png, name: 'a.png', type: 'image/png' });
    const oldFile = storedFile(created.body.image);
    const replaced = await request(api.app)
      .patch(`/api/v1/admin/products/${created.body.id}`)
      .set(bearer(staff.access))
      .set('Host', HOST)
      .attach('image', IMAGES.gif, { filename: 'b.gif', contentType: 'image/gif' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.image).toMatch(/\.gif$/);
    expect(replaced.body.image).not.toBe(created.body.image);
    expect(existsSync(oldFile)).toBe(false);
    expect(existsSync(storedFile(replaced.body.image))).toBe(true);
    expect((await request(api.app).get(mediaPath(created.body.image))).status).toBe(404);
  });

  it('When a PUT carries a new file, then the old file is removed as well', async () => {
    const created = await multipartCreate('/api/v1/admin/products', { data: IMAGES.png, name: 'a.png', type: 'image/png' });
    const replaced = await request(api.app)
      .put(`/api/v1/products/${created.body.id}/`)
      .set(bearer(staff.access))
      .field('title', 'Pictured again')
      .field('price', '9.99')
      .field('category', String(category.id))
      .attach('image', IMAGES.webp, { filename: 'c.webp', contentType: 'image/webp' });
    expect(replaced.status).toBe(200);
    expect(existsSync(storedFile(created.body.image))).toBe(false);
  });

  it('When a product with an uploaded image is deleted, then its file is removed', async () => {
    const created = await multipartCreate('/api/v1/admin/products', { data: IMAGES.jpeg, name: 'a.jpg', type: 'image/jpeg' });
    const file = storedFile(created.body.image);
    expect(existsSync(file)).toBe(true);
    expect((await request(api.app).delete(`/api/v1/admin/products/${created.body.id}`).set(bearer(staff.access))).status).toBe(204);
    expect(existsSync(file)).toBe(false);
  });

  it('When JSON sets an external image URL, then it is stored and returned as is; null clears it', async () => {
    const created = await request(api.app)
      .post('/api/v1/admin/products')
      .set(bearer(staff.access))
      .send({ title: 'Remote', price: '3', category: category.id, image: 'https://cdn.example.com/x.png' });
    expect(created.status).toBe(201);
    expect(created.body.image).toBe('https://cdn.example.com/x.png');
    expect((await request(api.app).get(`/api/v1/products/${created.body.id}/`)).body.image).toBe('https://cdn.example.com/x.png');
    const cleared = await request(api.app).patch(`/api/v1/admin/products/${created.body.id}`).set(bearer(staff.access)).send({ image: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.image).toBeNull();
    expect(await api.db('products').where({ id: created.body.id }).first('image')).toEqual({ image: null });
  });

  it('When a client sends back the image URL it was given, then the image is kept (the file is not deleted)', async () => {
    const created = await multipartCreate('/api/v1/admin/products', { data: IMAGES.png, name: 'a.png', type: 'image/png' });
    const { image, ...rest } = created.body as { image: string; id: number; is_active: boolean };
    const replaced = await request(api.app)
      .put(`/api/v1/admin/products/${rest.id}`)
      .set(bearer(staff.access))
      .set('Host', HOST)
      .send({ ...rest, title: 'Round-tripped', image });
    expect(replaced.status).toBe(200);
    expect(replaced.body.image).toBe(image);
    expect(existsSync(storedFile(image))).toBe(true);
    expect((await request(api.app).get(mediaPath(image))).status).toBe(200);
  });

  it('When JSON replaces an uploaded image with null, then the stored file is removed', async () => {
    const created = await multipartCreate('/api/v1/admin/products', { data: IMAGES.png, name: 'a.png', type: 'image/png' });
    const file = storedFile(created.body.image);
    const cleared = await request(api.app).patch(`/api/v1/admin/products/${created.body.id}`).set(bearer(staff.access)).send({ image: null });
    expect(cleared.body.image).toBeNull();
    expect(existsSync(file)).toBe(false);
  });

  it.each(['javascript:alert(1)', 'ftp://example.com/x.png', 'products/../../etc/passwd', 'not a url'])(
    'When JSON sets image to %j, then 400 Enter a valid URL.',
    async (image) => {
      const response = await request(api.app).post('/api/v1/admin/products').set(bearer(staff.access)).send({ title: 'Bad URL', price: '3', category: category.id, image });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ image: ['Enter a valid URL.'], code: 'invalid' });
    },
  );

  it('When an anonymous or customer client uploads, then 401/403 and nothing is stored', async () => {
    const customer = await registerUser(api);
    const before = storedImages(api);
    const anonymous = await multipartCreate('/api/v1/admin/products', { data: IMAGES.png, name: 'a.png', type: 'image/png' }, null);
    expect(anonymous.status).toBe(401);
    const forbidden = await multipartCreate('/api/v1/products/', { data: IMAGES.png, name: 'a.png', type: 'image/png' }, customer.access);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('permission_denied');
    expect(storedImages(api)).toEqual(before);
  });

  it('When a file arrives under another field name, then 400 and nothing is stored', async () => {
    const before = storedImages(api);
    const response = await request(api.app)
      .post('/api/v1/admin/products')
      .set(bearer(staff.access))
      .field('title', 'Wrong field')
      .field('price', '1')
      .field('category', String(category.id))
      .attach('picture', IMAGES.png, { filename: 'a.png', contentType: 'image/png' });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('parse_error');
    expect(storedImages(api)).toEqual(before);
  });
});
