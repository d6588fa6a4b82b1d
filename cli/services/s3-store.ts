import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { S3Bucket, S3Error, type S3Credentials } from '../../api/infra/s3';
import type { OffsiteConfig } from '../deploy-config/schema';
import { writePrivately } from '../exec/private-files';
import type { BackupManifest } from './backup-manifest';
import { offsiteFailure, parseManifests, type OffsiteStore } from './offsite-store';

type S3Config = Extract<OffsiteConfig, { type: 's3' }>;

/** An S3 bucket (AWS, or any S3-compatible service through `endpoint`), with the backups under `prefix` (api/infra/s3.ts). */
export class S3Store implements OffsiteStore {
  private readonly bucket: S3Bucket;

  constructor(config: S3Config, credentials: S3Credentials) {
    this.bucket = new S3Bucket(
      { bucket: config.bucket, prefix: config.prefix, region: config.region, endpoint: config.endpoint, forcePathStyle: config.force_path_style },
      credentials,
      { maxAttempts: 5 },
    );
  }

  get where(): string {
    return this.bucket.where;
  }

  async put(manifest: BackupManifest, files: { dump: string; manifest: string }): Promise<void> {
    try {
      // Streamed in parts for large dumps; the manifest goes last so that a listed backup is whole.
      for (const [file, name] of [[files.dump, `${manifest.id}.dump`], [files.manifest, `${manifest.id}.json`]] as const) await this.bucket.put(name, createReadStream(file));
    } catch (error) {
      throw offsiteFailure(this.where, `upload ${manifest.id} to`, error);
    }
  }

  async list(): Promise<BackupManifest[]> {
    try {
      const names: string[] = [];
      for await (const object of this.bucket.list()) if (object.name.endsWith('.json') && !object.name.includes('/')) names.push(object.name);
      return parseManifests(await Promise.all(names.map((name) => this.bucket.getText(name))));
    } catch (error) {
      throw offsiteFailure(this.where, 'list', error);
    }
  }

  async fetch(id: string, localDir: string): Promise<void> {
    try {
      for (const name of [`${id}.dump`, `${id}.json`]) {
        const object = await this.bucket.get(name);
        if (object === undefined || object === 'not-modified') throw new S3Error('not_found', 'NoSuchKey', `${this.bucket.key(name)} is not in the bucket`);
        await writePrivately(join(localDir, name), (temporary) => pipeline(object.body, createWriteStream(temporary, { flags: 'r+' })));
      }
    } catch (error) {
      throw offsiteFailure(this.where, `fetch ${id} from`, error);
    }
  }

  async remove(ids: readonly string[]): Promise<void> {
    try {
      for (const id of ids) for (const name of [`${id}.json`, `${id}.dump`]) await this.bucket.delete(name);
    } catch (error) {
      throw offsiteFailure(this.where, 'remove expired backups from', error);
    }
  }
}
