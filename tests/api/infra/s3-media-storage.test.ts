import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { IMMUTABLE, MediaStorageError, S3MediaStorage } from '../../../api/infra/media-storage';
import { S3Bucket, S3Error, type S3Location } from '../../../api/infra/s3';
import { freePort } from '../../support/components';
import { startS3Server, type RunningS3 } from '../../support/s3-server';
import { IMAGES } from '../../support/catalog';

describe('S3 access (api/infra/s3.ts) and S3MediaStorage, against s3rver', () => {
  let s3: RunningS3;
  let location: S3Location;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const opened: S3Bucket[] = [];

  function bucket(overrides: Partial<S3Location> = {}, keys = credentials): S3Bucket {
    const made = new S3Bucket({ ...location, ...overrides }, keys, { maxAttempts: 1, connectionTimeoutMs: 2000 });
    opened.push(made);
    return made;
  }

  async function collect(stream: Readable): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  beforeAll(async () => {
    s3 = await startS3Server('nexus-media');
    location = { bucket: s3.bucket, prefix: 'shop/media/', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true };
  });
  afterAll(async () => {
    for (const made of opened) made.close();
    await s3?.stop();
  });

  describe('S3Bucket', () => {
    it('When objects are put (a buffer, a stream), then get, head and list see them under the prefix, and delete removes them', async () => {
      const store = bucket();
      await store.put('a/one.txt', Buffer.from('one'), { contentType: 'text/plain' });
      await store.put('a/two.bin', Readable.from([Buffer.alloc(1000, 7)]));
      expect(await store.head('a/one.txt')).toMatchObject({ size: 3 });
      expect(await store.head('a/missing')).toBeUndefined();
      const got = await store.get('a/one.txt');
      expect(got).toMatchObject({ contentType: 'text/plain', contentLength: 3 });
      expect((await collect((got as { body: Readable }).body)).toString()).toBe('one');
      expect(await store.getText('a/one.txt')).toBe('one');
      expect(await store.get('a/missing')).toBeUndefined();
      const listed: { name: string; size: number }[] = [];
      for await (const object of store.list('a/')) listed.push(object);
      expect(listed.sort((x, y) => x.name.localeCompare(y.name))).toEqual([{ name: 'a/one.txt', size: 3 }, { name: 'a/two.bin', size: 1000 }]);
      // The full key carries the prefix; another prefix sees nothing of it.
      expect(store.key('a/one.txt')).toBe('shop/media/a/one.txt');
      const other: string[] = [];
      for await (const object of bucket({ prefix: 'other/' }).list()) other.push(object.name);
      expect(other).toEqual([]);
      await store.delete('a/one.txt');
      await store.delete('a/one.txt'); // deleting what is gone is fine
      expect(await store.head('a/one.txt')).toBeUndefined();
    });

    it('When the bucket does not exist, then the error says so, naming the bucket', async () => {
      const missing = bucket({ bucket: 'no-such-bucket' });
      const error = await missing.put('x.txt', Buffer.from('x')).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(S3Error);
      expect(error).toMatchObject({ kind: 'no_bucket', name: 'NoSuchBucket', message: expect.stringContaining('"no-such-bucket" does not exist') });
      await expect((async () => {
        for await (const _ of missing.list()) void _;
      })()).rejects.toMatchObject({ kind: 'no_bucket' });
    });

    it('When the access key is wrong, then the error names the credentials', async () => {
      const error = await bucket({}, { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'wrong' }).put('x.txt', Buffer.from('x')).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ kind: 'credentials', name: 'InvalidAccessKeyId', message: expect.stringContaining('access key ID') });
    });

    it('When nothing listens at the endpoint, then the error says the service could not be reached', async () => {
      const port = await freePort();
      const error = await bucket({ endpoint: `http://127.0.0.1:${port}` }).put('x.txt', Buffer.from('x')).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ kind: 'unreachable', message: expect.stringContaining(`could not reach the S3 service at http://127.0.0.1:${port}`) });
    });
  });

  describe('S3MediaStorage', () => {
    it('When an image is saved, then its key is products/<uuid>.<ext>, stored under the prefix with its type and a year-long cache header', async () => {
      const storage = new S3MediaStorage(bucket());
      const key = await storage.save('products', IMAGES.png, 'png');
      expect(key).toMatch(/^products\/[0-9a-f-]{36}\.png$/);
      const head = await storage.bucket.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `shop/media/${key}` }));
      expect(head).toMatchObject({ ContentType: 'image/png', CacheControl: IMMUTABLE, ContentLength: IMAGES.png.length });
      const object = await storage.open(key);
      expect(object).toMatchObject({ contentType: 'image/png' });
      expect(Buffer.compare(await collect((object as { body: Readable }).body), IMAGES.png)).toBe(0);
      await storage.remove(key);
      expect(await storage.open(key)).toBeUndefined();
    });

    it('When a key is not one the store makes (traversal, dot files, encoded characters), then open finds nothing and remove refuses', async () => {
      const storage = new S3MediaStorage(bucket());
      for (const key of ['../secret', 'products/../../x', '.hidden', 'products/.env', 'products/%2e%2e', '', 'products//x.png', '/abs.png']) {
        expect(await storage.open(key)).toBeUndefined();
        await expect(storage.remove(key)).rejects.toThrow('not a media key');
      }
    });

    it('When the bucket is missing or the key wrong, then save throws a MediaStorageError of that kind and nothing is stored', async () => {
      const missing = await new S3MediaStorage(bucket({ bucket: 'gone-bucket' })).save('products', IMAGES.png, 'png').catch((caught: unknown) => caught);
      expect(missing).toBeInstanceOf(MediaStorageError);
      expect(missing).toMatchObject({ kind: 'no_bucket', message: expect.stringMatching(/Could not store products\/.+ in s3:\/\/gone-bucket\/shop\/media\/ at .*NoSuchBucket/) });
      const wrongKey = await new S3MediaStorage(bucket({}, { accessKeyId: 'WRONG', secretAccessKey: 'x' })).save('products', IMAGES.png, 'png').catch((caught: unknown) => caught);
      expect(wrongKey).toMatchObject({ kind: 'credentials' });
      const names: string[] = [];
      for await (const object of bucket({ prefix: '' }).list('shop/media/products/')) names.push(object.name);
      expect(names).toEqual([]);
    });
  });
});
