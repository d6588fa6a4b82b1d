import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Bucket } from '../../../api/infra/s3';
import type { MediaMigrationReport } from '../../../cli/services/media-migration';
import { IMAGES } from '../../support/catalog';
import { expectExit, runNexus } from '../../support/cli';
import { startS3Server, type RunningS3 } from '../../support/s3-server';

/** `nexus media migrate --to s3`, the built CLI against s3rver. */
describe('nexus media migrate --to s3 (s3rver)', () => {
  let s3: RunningS3;
  let root: string;
  let bucket: S3Bucket;
  const PREFIX = 'shop/media/';
  const FILES = ['products/11111111-1111-4111-8111-111111111111.png', 'products/22222222-2222-4222-8222-222222222222.gif', 'products/33333333-3333-4333-8333-333333333333.webp'];

  function env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      MEDIA_ROOT: root,
      MEDIA_S3_BUCKET: s3.bucket,
      MEDIA_S3_PREFIX: PREFIX,
      MEDIA_S3_ENDPOINT: s3.endpoint,
      MEDIA_S3_FORCE_PATH_STYLE: 'true',
      MEDIA_S3_ACCESS_KEY_ID: 'S3RVER',
      MEDIA_S3_SECRET_ACCESS_KEY: 'S3RVER',
      ...overrides,
    };
  }

  async function objects(): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for await (const object of bucket.list()) found.set(object.name, object.size);
    return found;
  }

  beforeAll(async () => {
    s3 = await startS3Server('nexus-media');
    bucket = new S3Bucket({ bucket: s3.bucket, prefix: PREFIX, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true }, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    root = mkdtempSync(join(tmpdir(), 'nexus-media-migrate-'));
    mkdirSync(join(root, 'products'));
    writeFileSync(join(root, FILES[0] as string), IMAGES.png);
    writeFileSync(join(root, FILES[1] as string), IMAGES.gif);
    writeFileSync(join(root, FILES[2] as string), IMAGES.webp);
    writeFileSync(join(root, '.DS_Store'), 'not media');
  });
  afterAll(async () => {
    bucket?.close();
    await s3?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('When the bucket or its keys are wrong, then it exits 1 saying which, and copies nothing', async () => {
    const missing = await runNexus(['media', 'migrate', '--to', 's3', '--json'], { env: env({ MEDIA_S3_BUCKET: 'no-such-bucket' }) });
    expectExit(missing, 1);
    expect(missing.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'MEDIA_STORAGE_FAILED', message: expect.stringContaining('NoSuchBucket: the bucket "no-such-bucket" does not exist') });
    const wrongKey = await runNexus(['media', 'migrate', '--to', 's3'], { env: env({ MEDIA_S3_ACCESS_KEY_ID: 'NOT-A-KEY' }) });
    expectExit(wrongKey, 1);
    expect(wrongKey.stderr).toContain('InvalidAccessKeyId');
    expect(wrongKey.stderr).not.toContain('S3RVER');
    expect(await objects()).toEqual(new Map());
  });

  it('When settings are missing or MEDIA_ROOT does not exist, then it exits 3 naming them', async () => {
    const noBucket = await runNexus(['media', 'migrate', '--to', 's3', '--json'], { env: { MEDIA_ROOT: root } });
    expectExit(noBucket, 3);
    expect(noBucket.json<{ error: { message: string } }>().error.message).toContain('MEDIA_S3_BUCKET: required');
    const noRoot = await runNexus(['media', 'migrate', '--to', 's3', '--json'], { env: env({ MEDIA_ROOT: join(root, 'nowhere') }) });
    expectExit(noRoot, 3);
    expect(noRoot.json<{ error: { code: string } }>().error.code).toBe('MEDIA_ROOT_UNREADABLE');
  });

  it('When run with --dry-run, then it counts what it would copy and writes nothing', async () => {
    const dry = await runNexus(['media', 'migrate', '--to', 's3', '--dry-run', '--json'], { env: env() });
    expectExit(dry, 0);
    expect(dry.json<MediaMigrationReport>()).toMatchObject({ dryRun: true, files: 3, copied: 3, alreadyThere: 0, failed: 0 });
    expect(await objects()).toEqual(new Map());
  });

  it('When run, then every local file is copied under the prefix with its type; a second run copies nothing; a changed or new file is copied again', async () => {
    const first = await runNexus(['media', 'migrate', '--to', 's3', '--json'], { env: env() });
    expectExit(first, 0);
    expect(first.json<MediaMigrationReport>()).toEqual({
      to: 's3',
      from: root,
      where: `s3://${s3.bucket}/${PREFIX} at ${s3.endpoint}`,
      dryRun: false,
      files: 3,
      copied: 3,
      alreadyThere: 0,
      failed: 0,
      failures: [],
    });
    expect(await objects()).toEqual(new Map([[FILES[0], IMAGES.png.length], [FILES[1], IMAGES.gif.length], [FILES[2], IMAGES.webp.length]]));
    expect(await bucket.get(FILES[2] as string)).toMatchObject({ contentType: 'image/webp' });

    const second = await runNexus(['media', 'migrate', '--to', 's3'], { env: env() });
    expectExit(second, 0);
    expect(second.stdout).toContain('Copied 0 of 3 file(s)');
    expect(second.stdout).toContain('3 already there, 0 failed');

    // A half-written object (another size) and a late upload are copied on the next run.
    await bucket.put(FILES[0] as string, Buffer.from('partial'));
    writeFileSync(join(root, 'products', '44444444-4444-4444-8444-444444444444.png'), IMAGES.png);
    const third = await runNexus(['media', 'migrate', '--to', 's3', '--json'], { env: env() });
    expectExit(third, 0);
    expect(third.json<MediaMigrationReport>()).toMatchObject({ files: 4, copied: 2, alreadyThere: 2, failed: 0 });
    expect((await objects()).get(FILES[0] as string)).toBe(IMAGES.png.length);
  });

  it('When a file has a name the API would not serve, then it is reported as failed and the run exits 1 naming it', async () => {
    const odd = join(root, 'products', 'with space.png');
    writeFileSync(odd, IMAGES.png);
    try {
      const result = await runNexus(['media', 'migrate', '--to', 's3', '--json'], { env: env() });
      expectExit(result, 1);
      const error = result.json<{ error: { code: string; message: string; details: MediaMigrationReport } }>().error;
      expect(error).toMatchObject({ code: 'MEDIA_MIGRATE_FAILED', message: expect.stringContaining('products/with space.png') });
      expect(error.details).toMatchObject({ failed: 1, alreadyThere: 4, copied: 0 });
    } finally {
      rmSync(odd);
    }
  });
});
