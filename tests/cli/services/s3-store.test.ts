import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackupManifest } from '../../../cli/services/backup-manifest';
import { S3Store } from '../../../cli/services/s3-store';
import { startS3Server, type RunningS3 } from '../../support/s3-server';

/** The backups' offsite store on the shared S3 access (api/infra/s3.ts), directly against s3rver. */
describe('S3Store (the offsite backup store) against s3rver', () => {
  let s3: RunningS3;
  let dir: string;
  const keys = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const config = () => ({ type: 's3' as const, bucket: s3.bucket, prefix: 'shop/production/', region: 'us-east-1', endpoint: s3.endpoint, force_path_style: true });

  function manifest(id: string, createdAt: string): BackupManifest {
    return { format: 'nexus-backup/1', id, kind: 'manual', createdAt, database: 'nexus', serverVersion: '16', release: null, migration: { latest: 'x', count: 1 }, tables: {}, dump: { file: `${id}.dump`, bytes: 4, sha256: '' } };
  }

  function files(entry: BackupManifest): { dump: string; manifest: string } {
    const dump = join(dir, `${entry.id}.dump`);
    const json = join(dir, `${entry.id}.json`);
    writeFileSync(dump, `dump of ${entry.id}`);
    writeFileSync(json, JSON.stringify(entry));
    return { dump, manifest: json };
  }

  beforeAll(async () => {
    s3 = await startS3Server();
    dir = mkdtempSync(join(tmpdir(), 'nexus-s3-store-'));
  });
  afterAll(async () => {
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('When backups are put, then they are listed oldest first, fetched privately, and removed', async () => {
    const store = new S3Store(config(), keys);
    expect(store.where).toBe(`s3://${s3.bucket}/shop/production/ at ${s3.endpoint}`);
    const older = manifest('20250101T000000Z-a', '2025-01-01T00:00:00Z');
    const newer = manifest('20250102T000000Z-b', '2025-01-02T00:00:00Z');
    await store.put(newer, files(newer));
    await store.put(older, files(older));
    expect((await store.list()).map((entry) => entry.id)).toEqual([older.id, newer.id]);
    const into = mkdtempSync(join(dir, 'fetch-'));
    await store.fetch(older.id, into);
    expect(readFileSync(join(into, `${older.id}.dump`), 'utf8')).toBe(`dump of ${older.id}`);
    expect(statSync(join(into, `${older.id}.dump`)).mode & 0o777).toBe(0o600);
    await store.remove([older.id]);
    expect((await store.list()).map((entry) => entry.id)).toEqual([newer.id]);
    await expect(store.fetch(older.id, into)).rejects.toMatchObject({ code: 'OFFSITE_FAILED', message: expect.stringContaining('NoSuchKey') });
  });

  it('When the key is wrong or the bucket missing, then OFFSITE_FAILED says which, where', async () => {
    await expect(new S3Store(config(), { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'x' }).list()).rejects.toMatchObject({
      code: 'OFFSITE_FAILED',
      message: expect.stringMatching(/^Could not list s3:\/\/.+: InvalidAccessKeyId: /),
    });
    await expect(new S3Store({ ...config(), bucket: 'missing-bucket' }, keys).list()).rejects.toMatchObject({
      code: 'OFFSITE_FAILED',
      message: expect.stringContaining('NoSuchBucket: the bucket "missing-bucket" does not exist'),
    });
  });
});
