import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { OffsiteConfig } from '../deploy-config/schema';
import { writePrivately } from '../exec/private-files';
import type { BackupManifest } from './backup-manifest';
import { offsiteFailure, parseManifests, type OffsiteStore } from './offsite-store';

type S3Config = Extract<OffsiteConfig, { type: 's3' }>;

/** An S3 bucket (AWS, or any S3-compatible service through `endpoint`), with the backups under `prefix`. */
export class S3Store implements OffsiteStore {
  private readonly client: S3Client;

  constructor(
    private readonly config: S3Config,
    credentials: { accessKeyId: string; secretAccessKey: string },
  ) {
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.force_path_style,
      credentials,
      // Checksums only where S3 requires them: many S3-compatible services reject the newer trailing checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 5,
    });
  }

  get where(): string {
    return `s3://${this.config.bucket}/${this.config.prefix}${this.config.endpoint ? ` at ${this.config.endpoint}` : ''}`;
  }

  private key(name: string): string {
    return `${this.config.prefix}${name}`;
  }

  async put(manifest: BackupManifest, files: { dump: string; manifest: string }): Promise<void> {
    try {
      // Multipart for large dumps; the manifest goes last so that a listed backup is whole.
      for (const [file, name] of [[files.dump, `${manifest.id}.dump`], [files.manifest, `${manifest.id}.json`]] as const) {
        await new Upload({ client: this.client, params: { Bucket: this.config.bucket, Key: this.key(name), Body: createReadStream(file) } }).done();
      }
    } catch (error) {
      throw offsiteFailure(this.where, `upload ${manifest.id} to`, error);
    }
  }

  async list(): Promise<BackupManifest[]> {
    try {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: this.config.prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key ?? '').filter((key) => key.endsWith('.json') && !key.slice(this.config.prefix.length).includes('/')));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      const texts = await Promise.all(keys.map(async (key) => (await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }))).Body?.transformToString() ?? ''));
      return parseManifests(texts);
    } catch (error) {
      throw offsiteFailure(this.where, 'list', error);
    }
  }

  async fetch(id: string, localDir: string): Promise<void> {
    try {
      for (const name of [`${id}.dump`, `${id}.json`]) {
        const object = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(name) }));
        await writePrivately(join(localDir, name), (temporary) => pipeline(object.Body as Readable, createWriteStream(temporary, { flags: 'r+' })));
      }
    } catch (error) {
      throw offsiteFailure(this.where, `fetch ${id} from`, error);
    }
  }

  async remove(ids: readonly string[]): Promise<void> {
    try {
      for (const id of ids) for (const name of [`${id}.json`, `${id}.dump`]) await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(name) }));
    } catch (error) {
      throw offsiteFailure(this.where, 'remove expired backups from', error);
    }
  }
}
