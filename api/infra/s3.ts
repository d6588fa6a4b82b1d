import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/**
 * S3 access, once for the whole project: the API's media storage and the CLI's offsite backup store both go
 * through here (AWS, or any S3-compatible service through `endpoint`).
 */

/** A bucket and the part of it that is ours. */
export interface S3Location {
  bucket: string;
  /** Key prefix: '' or path segments ending in '/' (e.g. `shop/production/`). */
  prefix: string;
  region: string;
  /** An S3-compatible service's URL (MinIO, R2, s3rver…); unset for AWS. */
  endpoint?: string;
  /** `http://endpoint/bucket/key` rather than `http://bucket.endpoint/key` (most S3-compatible services want it). */
  forcePathStyle: boolean;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3ClientOptions {
  /** Attempts per request, the first included (the SDK's backoff between them). */
  maxAttempts?: number;
  /** Milliseconds to wait for a connection to the endpoint before giving up (unset: the SDK's default). */
  connectionTimeoutMs?: number;
  /** Milliseconds a request may wait for a response (unset: none). */
  requestTimeoutMs?: number;
}

/** The client the location needs; without credentials the SDK's default chain (environment, profile, instance role). */
export function createS3Client(location: S3Location, credentials: S3Credentials | undefined, options: S3ClientOptions = {}): S3Client {
  return new S3Client({
    region: location.region,
    endpoint: location.endpoint,
    forcePathStyle: location.forcePathStyle,
    credentials,
    // Checksums only where S3 requires them: many S3-compatible services reject the newer trailing checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: options.maxAttempts ?? 5,
    ...(options.connectionTimeoutMs || options.requestTimeoutMs ? { requestHandler: { connectionTimeout: options.connectionTimeoutMs, requestTimeout: options.requestTimeoutMs } } : {}),
  });
}

/** `s3://bucket/prefix at endpoint`: where, for messages (never credentials). */
export function describeLocation(location: S3Location): string {
  return `s3://${location.bucket}/${location.prefix}${location.endpoint ? ` at ${location.endpoint}` : ''}`;
}

/**
 * What went wrong, in the terms an operator acts on: the bucket is missing, the credentials are wrong or not
 * allowed, the endpoint cannot be reached, the object is not there, or something else the service said.
 */
export type S3FailureKind = 'no_bucket' | 'credentials' | 'access_denied' | 'unreachable' | 'not_found' | 'other';

/** A failed S3 call, translated. `name` is the service's (or the network's) error code, `message` says what it means. */
export class S3Error extends Error {
  constructor(
    readonly kind: S3FailureKind,
    code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code;
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'TimeoutError', 'RequestTimeout']);

/** The error code of an SDK or network error (the service's `Code`, else the errno, else the error's name). */
function codeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'Error';
  const { name, code, Code, cause } = error as { name?: string; code?: string; Code?: string; cause?: unknown };
  if (Code) return Code;
  if (code && /^E[A-Z]+$/.test(code)) return code;
  if (name === 'AggregateError' || name === 'Error') {
    const errors = (error as { errors?: unknown[] }).errors;
    if (errors?.[0]) return codeOf(errors[0]);
    if (cause) return codeOf(cause);
  }
  // A network error from another realm (a test's VM context) reaches us wrapped, its code only in the message.
  const errno = /\b(E[A-Z]{4,})\b/.exec((error as { message?: string }).message ?? '')?.[1];
  if (errno && UNREACHABLE.has(errno)) return errno;
  return name ?? 'Error';
}

/** Translates what the SDK threw into an S3Error naming the cause and the fix. */
export function s3Error(error: unknown, location: S3Location): S3Error {
  if (error instanceof S3Error) return error;
  const code = codeOf(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const said = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  switch (code) {
    case 'NoSuchBucket':
      return new S3Error('no_bucket', code, `the bucket "${location.bucket}" does not exist${location.endpoint ? ` at ${location.endpoint}` : ` in ${location.region}`} (create it, or correct the bucket name)`, options);
    case 'InvalidAccessKeyId':
      return new S3Error('credentials', code, 'the service does not know this access key ID (check the access key ID and secret)', options);
    case 'SignatureDoesNotMatch':
      return new S3Error('credentials', code, 'the secret access key does not match the access key ID (check the secret)', options);
    case 'InvalidToken':
    case 'ExpiredToken':
      return new S3Error('credentials', code, 'the session token is invalid or expired (renew the credentials)', options);
    case 'AccessDenied':
    case 'AllAccessDisabled':
      return new S3Error('access_denied', code, `the credentials are not allowed this on the bucket "${location.bucket}" (check the key's policy: it needs to list, read, write and delete objects under "${location.prefix}")`, options);
    case 'NoSuchKey':
    case 'NotFound':
      return new S3Error('not_found', code, 'no such object', options);
    case 'CredentialsProviderError':
      return new S3Error('credentials', code, `no credentials were given and none were found in the environment (${said})`, options);
    default:
      if (UNREACHABLE.has(code)) return new S3Error('unreachable', code, `could not reach the S3 service${location.endpoint ? ` at ${location.endpoint}` : ` in ${location.region}`} (${said || code})`, options);
      if (status === 403) return new S3Error('access_denied', code, `the service refused the request (HTTP 403): check the credentials and the key's policy on the bucket "${location.bucket}"`, options);
      return new S3Error('other', code, said || code, options);
  }
}

/** An object read from the bucket: its bytes as a stream, with what HTTP needs to serve it. */
export interface S3Object {
  body: Readable;
  contentType?: string;
  contentLength?: number;
  etag?: string;
  lastModified?: Date;
}

/** Whether the SDK answered "not modified" to a conditional GET (it throws on 304). */
function notModified(error: unknown): boolean {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode === 304;
}

/**
 * One location in a bucket, named by keys relative to its prefix. Every method throws an S3Error on failure
 * (a missing object is `undefined` where the method says so).
 */
export class S3Bucket {
  readonly client: S3Client;

  constructor(
    readonly location: S3Location,
    credentials: S3Credentials | undefined,
    options: S3ClientOptions = {},
  ) {
    this.client = createS3Client(location, credentials, options);
  }

  /** Where, for messages (no credentials). */
  get where(): string {
    return describeLocation(this.location);
  }

  /** The full object key of a name. */
  key(name: string): string {
    return `${this.location.prefix}${name}`;
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw s3Error(error, this.location);
    }
  }

  /** Writes an object: a buffer in one request, a stream in parts (any size, never all in memory). */
  async put(name: string, body: Buffer | Readable, metadata: { contentType?: string; cacheControl?: string } = {}): Promise<void> {
    const params = { Bucket: this.location.bucket, Key: this.key(name), Body: body, ContentType: metadata.contentType, CacheControl: metadata.cacheControl };
    await this.call(async () => {
      if (Buffer.isBuffer(body)) await this.client.send(new PutObjectCommand(params));
      else await new Upload({ client: this.client, params }).done();
    });
  }

  /** Reads an object; undefined when there is none, `'not-modified'` when it still has the ETag given. */
  async get(name: string, conditions: { ifNoneMatch?: string } = {}): Promise<S3Object | 'not-modified' | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(name), IfNoneMatch: conditions.ifNoneMatch }));
      return { body: object.Body as Readable, contentType: object.ContentType, contentLength: object.ContentLength, etag: object.ETag, lastModified: object.LastModified };
    } catch (error) {
      if (notModified(error)) return 'not-modified';
      const failure = s3Error(error, this.location);
      if (failure.kind === 'not_found') return undefined;
      throw failure;
    }
  }

  /** An object's text; throws (not_found) when it is missing. */
  async getText(name: string): Promise<string> {
    const object = await this.get(name);
    if (object === undefined || object === 'not-modified') throw new S3Error('not_found', 'NoSuchKey', `no object ${this.key(name)} in ${this.where}`);
    return this.call(() => (object.body as unknown as { transformToString(): Promise<string> }).transformToString());
  }

  /** An object's size and ETag; undefined when there is none. */
  async head(name: string): Promise<{ size: number; etag?: string } | undefined> {
    try {
      const object = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }));
      return { size: object.ContentLength ?? 0, etag: object.ETag };
    } catch (error) {
      const failure = s3Error(error, this.location);
      if (failure.kind === 'not_found') return undefined;
      throw failure;
    }
  }

  /** Deletes an object; deleting one that is not there is not an error (S3's own rule). */
  async delete(name: string): Promise<void> {
    await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) })));
  }

  /** Every object under the prefix (and `under`, when given), page by page: names relative to the prefix, with sizes. */
  async *list(under = ''): AsyncGenerator<{ name: string; size: number }> {
    let token: string | undefined;
    do {
      const page = await this.call(() => this.client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: this.key(under), ContinuationToken: token })));
      for (const object of page.Contents ?? []) if (object.Key) yield { name: object.Key.slice(this.location.prefix.length), size: object.Size ?? 0 };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Releases the client's sockets. */
  close(): void {
    this.client.destroy();
  }
}
