import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import type { S3Bucket, S3Error, S3FailureKind, S3Object } from './s3';

/**
 * Where uploaded files live. Keys are relative paths ("products/<uuid>.png") stored in the database and
 * served under /media/ (or under MEDIA_PUBLIC_URL); S3 maps them to object keys under MEDIA_S3_PREFIX.
 */
export interface MediaStorage {
  /** Stores the bytes under a new key in `folder`; throws MediaStorageError when the store cannot take them. */
  save(folder: string, data: Buffer, extension: string): Promise<string>;
  remove(key: string): Promise<void>;
  /**
   * Reads a stored file for the API to serve (undefined: not there). Only stores the API cannot hand to a
   * static file server have it; local files are served from MEDIA_ROOT directly.
   */
  open?(key: string, conditions?: { ifNoneMatch?: string }): Promise<S3Object | 'not-modified' | undefined>;
}

/** A store that cannot take or give files right now (missing bucket, wrong credentials, unreachable service). */
export class MediaStorageError extends Error {
  constructor(
    readonly kind: S3FailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MediaStorageError';
  }
}

/** What a stored key may look like: path segments of safe characters, none starting with a dot. */
const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

export function isMediaKey(key: string): boolean {
  return KEY.test(key) && key.length <= 1024;
}

/** The Content-Type of an image by the extension it was stored with (the extension comes from its bytes). */
export const MEDIA_TYPES: Readonly<Record<string, string>> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

export function mediaType(key: string): string {
  return MEDIA_TYPES[key.slice(key.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
}

/** Stored files never change (a new upload gets a new key): caches may keep them for a year. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Files on local disk under a root directory (a volume in production), served by the API or by nginx. */
export class LocalMediaStorage implements MediaStorage {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    const path = normalize(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`media key escapes the media root: ${key}`);
    return path;
  }

  async save(folder: string, data: Buffer, extension: string): Promise<string> {
    const key = `${folder}/${randomUUID()}.${extension}`;
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data, { mode: 0o644, flag: 'wx' });
    return key;
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}

/**
 * Objects in an S3 bucket under MEDIA_S3_PREFIX (api/infra/s3.ts), each with its image type and a year-long
 * cache header, so that a CDN or the bucket's own URL can serve them as they are.
 */
export class S3MediaStorage implements MediaStorage {
  constructor(readonly bucket: S3Bucket) {}

  private failure(action: string, error: unknown): MediaStorageError {
    const s3 = error as S3Error;
    // The service's own error as the cause (the translated one is in the message already).
    return new MediaStorageError(s3.kind ?? 'other', `Could not ${action} ${this.bucket.where}: ${s3.name}: ${s3.message}`, { cause: s3.cause ?? error });
  }

  async save(folder: string, data: Buffer, extension: string): Promise<string> {
    const key = `${folder}/${randomUUID()}.${extension}`;
    try {
      await this.bucket.put(key, data, { contentType: mediaType(key), cacheControl: IMMUTABLE });
    } catch (error) {
      throw this.failure(`store ${key} in`, error);
    }
    return key;
  }

  async remove(key: string): Promise<void> {
    if (!isMediaKey(key)) throw new Error(`not a media key: ${key}`);
    try {
      await this.bucket.delete(key);
    } catch (error) {
      throw this.failure(`delete ${key} from`, error);
    }
  }

  async open(key: string, conditions: { ifNoneMatch?: string } = {}): Promise<S3Object | 'not-modified' | undefined> {
    if (!isMediaKey(key)) return undefined;
    try {
      return await this.bucket.get(key, conditions);
    } catch (error) {
      throw this.failure(`read ${key} from`, error);
    }
  }
}
