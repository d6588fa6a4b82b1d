import request from 'supertest';
import { S3Bucket } from '../../../api/infra/s3';
import { startTestApi, type TestApi } from '../../support/api';
import { IMAGES, insertCategory, registerStaff, type CategoryRecord } from '../../support/catalog';
import { startS3Server, type RunningS3 } from '../../support/s3-server';
import { bearer, type RegisteredUser } from '../../support/users';

const HOST = 'shop.example.com';
const PREFIX = 'shop/media/';

/** Product images with MEDIA_STORAGE=s3 (s3rver): uploads through the staff API, served through the API or a public URL. */
describe('product images in S3 (MEDIA_STORAGE=s3, s3rver)', () => {
  let s3: RunningS3;
  let bucket: S3Bucket;

  function s3Env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      MEDIA_STORAGE: 's3',
      MEDIA_S3_BUCKET: s3.bucket,
      MEDIA_S3_PREFIX: PREFIX,
      MEDIA_S3_REGION: 'us-east-1',
      MEDIA_S3_ENDPOINT: s3.endpoint,
      MEDIA_S3_FORCE_PATH_STYLE: 'true',
      MEDIA_S3_ACCESS_KEY_ID: s3.credentials.S3_ACCESS_KEY_ID,
      MEDIA_S3_SECRET_ACCESS_KEY: s3.credentials.S3_SECRET_ACCESS_KEY,
      ...overrides,
    };
  }

  /** The object keys under the prefix's products/, relative to the prefix. */
  async function storedObjects(): Promise<string[]> {
    const names: string[] = [];
    for await (const object of bucket.list('products/')) names.push(object.name);
    return names.sort();
  }

  function keyOf(url: string): string {
    return /(products\/[0-9a-f-]{36}\.\w+)$/.exec(url)?.[1] as string;
  }

  function binary(call: request.Test): request.Test {
    return call.buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
  }

  beforeAll(async () => {
    s3 = await startS3Server('nexus-media');
    bucket = new S3Bucket({ bucket: s3.bucket, prefix: PREFIX, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true }, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  });
  afterAll(async () => {
    bucket?.close();
    await s3?.stop();
  });

  describe('served through the API (no MEDIA_PUBLIC_URL)', () => {
    let api: TestApi;
    let staff: RegisteredUser;
    let category: CategoryRecord;

    beforeAll(async () => {
      api = await startTestApi(s3Env());
      staff = await registerStaff(api);
      category = await insertCategory(api, { name: 'Pictures', slug: 'pictures' });
    });
    afterAll(() => api?.close());

    function create(file: { data: Buffer; name: string; type: string }) {
      return request(api.app)
        .post('/api/v1/admin/products')
        .set('Host', HOST)
        .set(bearer(staff.access))
        .field('title', 'Pictured')
        .field('price', '9.99')
        .field('category', String(category.id))
        .attach('image', file.data, { filename: file.name, contentType: file.type });
    }

    it('When an image is uploaded, then it is stored in the bucket under the prefix and the API streams it back from /media/ with its type and cache headers', async () => {
      const created = await create({ data: IMAGES.png, name: 'photo.png', type: 'image/png' });
      expect(created.status).toBe(201);
      expect(created.body.image).toMatch(new RegExp(`^http://${HOST.replace(/\./g, '\\.')}/media/products/[0-9a-f-]{36}\\.png$`));
      const key = keyOf(created.body.image);
      expect(await bucket.head(key)).toMatchObject({ size: IMAGES.png.length });
      expect(await api.db('products').where({ id: created.body.id }).first('image')).toEqual({ image: key });

      const path = new URL(created.body.image).pathname;
      const served = await binary(request(api.app).get(path));
      expect(served.status).toBe(200);
      expect(served.headers).toMatchObject({ 'content-type': 'image/png', 'cache-control': 'public, max-age=31536000, immutable', 'content-length': String(IMAGES.png.length), 'x-content-type-options': 'nosniff' });
      expect(Buffer.compare(served.body as Buffer, IMAGES.png)).toBe(0);
      const head = await request(api.app).head(path);
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toBe('image/png');
      const again = await request(api.app).get(path).set('If-None-Match', served.headers.etag as string);
      expect(again.status).toBe(304);

      const publicView = await request(api.app).get(`/api/v1/products/${created.body.id}/`).set('Host', HOST);
      expect(publicView.body.image).toBe(created.body.image);
    });

    it('When an image is replaced, then the old object is deleted and the new one served; deleting the product deletes its object', async () => {
      const created = await create({ data: IMAGES.png, name: 'a.png', type: 'image/png' });
      const oldKey = keyOf(created.body.image);
      const replaced = await request(api.app)
        .patch(`/api/v1/admin/products/${created.body.id}`)
        .set('Host', HOST)
        .set(bearer(staff.access))
        .attach('image', IMAGES.gif, { filename: 'b.gif', contentType: 'image/gif' });
      expect(replaced.status).toBe(200);
      const newKey = keyOf(replaced.body.image);
      expect(newKey).toMatch(/\.gif$/);
      expect(await bucket.head(oldKey)).toBeUndefined();
      expect(await bucket.head(newKey)).toBeDefined();
      const gone = await request(api.app).get(`/media/${oldKey}`);
      expect(gone.status).toBe(404);
      expect(gone.body).toEqual({ detail: 'Not found.', code: 'not_found' });
      const served = await binary(request(api.app).get(`/media/${newKey}`));
      expect([served.status, served.headers['content-type']]).toEqual([200, 'image/gif']);
      expect(Buffer.compare(served.body as Buffer, IMAGES.gif)).toBe(0);

      // A client that sends back the URL it was given keeps the object.
      const kept = await request(api.app).patch(`/api/v1/admin/products/${created.body.id}`).set('Host', HOST).set(bearer(staff.access)).send({ title: 'Kept', image: replaced.body.image });
      expect([kept.status, kept.body.image]).toEqual([200, replaced.body.image]);
      expect(await bucket.head(newKey)).toBeDefined();

      expect((await request(api.app).delete(`/api/v1/admin/products/${created.body.id}`).set(bearer(staff.access))).status).toBe(204);
      expect(await bucket.head(newKey)).toBeUndefined();
      expect(await storedObjects()).not.toContain(newKey);
    });

    it.each(['/media/products/00000000-0000-0000-0000-000000000000.png', '/media/%2e%2e/%2e%2e/etc/passwd', '/media/products/..%2f..%2fx.png', '/media/.hidden', '/media/products/.x.png', '/media/', '/media//products/a.png'])(
      'When %s is asked for, then 404 and the store is never asked outside its keys',
      async (path) => {
        const response = await request(api.app).get(path);
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('not_found');
      },
    );

    it('When an upload is not an image or too large, then nothing reaches the bucket (sniffed and limited as for local files)', async () => {
      const before = await storedObjects();
      const notImage = await create({ data: Buffer.from('just text'), name: 'a.png', type: 'image/png' });
      expect(notImage.status).toBe(400);
      const tooBig = await create({ data: Buffer.concat([IMAGES.png, Buffer.alloc(api.config.media.maxBytes)]), name: 'big.png', type: 'image/png' });
      expect(tooBig.status).toBe(413);
      expect(await storedObjects()).toEqual(before);
    });
  });

  it('When MEDIA_PUBLIC_URL is set, then image links use it (API responses, cached reads, events) and the API still serves the object', async () => {
    const api = await startTestApi(s3Env({ MEDIA_PUBLIC_URL: 'https://cdn.example.com/shop-media' }));
    try {
      const staff = await registerStaff(api);
      const category = await insertCategory(api, { name: 'CDN', slug: 'cdn' });
      const created = await request(api.app)
        .post('/api/v1/admin/products')
        .set('Host', HOST)
        .set(bearer(staff.access))
        .field('title', 'On the CDN')
        .field('price', '5')
        .field('category', String(category.id))
        .attach('image', IMAGES.webp, { filename: 'c.webp', contentType: 'image/webp' });
      expect(created.status).toBe(201);
      expect(created.body.image).toMatch(/^https:\/\/cdn\.example\.com\/shop-media\/products\/[0-9a-f-]{36}\.webp$/);
      const key = keyOf(created.body.image);
      // Read twice from two host spellings: the read cache answers the second, with the same link.
      for (const host of [HOST, 'other.example.com', HOST]) {
        const view = await request(api.app).get(`/api/v1/products/${created.body.id}/`).set('Host', host);
        expect([view.status, view.body.image]).toEqual([200, created.body.image]);
      }
      const listed = await request(api.app).get('/api/v1/products/').set('Host', HOST);
      expect((listed.body.results as { image: string }[]).map((product) => product.image)).toContain(created.body.image);
      expect(api.config.shop.mediaBase).toBe('https://cdn.example.com/shop-media/');
      const event = await api.db('events').where({ type: 'product.created' }).orderBy('id', 'desc').first();
      expect(JSON.stringify(event)).toContain(created.body.image);
      expect((await request(api.app).get(`/media/${key}`)).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it.each([
    ['the bucket does not exist', { MEDIA_S3_BUCKET: 'no-such-bucket' }, 'its bucket does not exist', 'NoSuchBucket'],
    ['the access key is wrong', { MEDIA_S3_ACCESS_KEY_ID: 'NOT-A-KEY' }, 'the storage service rejected its credentials', 'InvalidAccessKeyId'],
  ])('When %s, then an upload answers 503 media_storage_unavailable, the log says why, and no product is created or changed', async (_label, env, reason, code) => {
    const api = await startTestApi(s3Env(env));
    try {
      const staff = await registerStaff(api);
      const category = await insertCategory(api, { name: 'Broken', slug: 'broken' });
      const existing = await request(api.app).post('/api/v1/admin/products').set(bearer(staff.access)).send({ title: 'Without image', price: '2', category: category.id });
      expect(existing.status).toBe(201);
      const before = await api.db('products').orderBy('id');
      const events = await api.db('events').count({ count: '*' });

      const created = await request(api.app)
        .post('/api/v1/admin/products')
        .set(bearer(staff.access))
        .field('title', 'Never')
        .field('price', '1')
        .field('category', String(category.id))
        .attach('image', IMAGES.png, { filename: 'a.png', contentType: 'image/png' });
      expect(created.status).toBe(503);
      expect(created.body).toEqual({ detail: `Image storage is unavailable: ${reason}. Nothing was changed.`, code: 'media_storage_unavailable' });

      const updated = await request(api.app)
        .patch(`/api/v1/admin/products/${existing.body.id}`)
        .set(bearer(staff.access))
        .field('title', 'Renamed')
        .attach('image', IMAGES.png, { filename: 'a.png', contentType: 'image/png' });
      expect(updated.status).toBe(503);
      expect(updated.body.code).toBe('media_storage_unavailable');

      expect(await api.db('products').orderBy('id')).toEqual(before);
      expect(await api.db('events').count({ count: '*' })).toEqual(events);
      const logged = api.logs().filter((line) => line.msg === 'request failed' && line.err).map((line) => JSON.stringify(line.err));
      expect(logged).toHaveLength(2);
      for (const line of logged) expect(line).toContain(code);
      expect(await storedObjects()).not.toEqual(expect.arrayContaining([expect.stringMatching(/never/i)]));

      const read = await request(api.app).get('/media/products/00000000-0000-0000-0000-000000000000.png');
      expect([read.status, read.body]).toEqual([503, { detail: `Image storage is unavailable: ${reason}.`, code: 'media_storage_unavailable' }]);
    } finally {
      await api.close();
    }
  });
});
