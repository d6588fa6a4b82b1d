import type { Request, Response } from 'express';
import type { Reply } from '../../http/endpoint';
import etag from 'etag';
import type { KeyValueStore } from '../../infra/kv-store';

const GENERATION_KEY = 'catalog:generation';
const RESPONSE_PREFIX = 'catalog:response:';

export type CacheOutcome = 'HIT' | 'MISS' | 'BYPASS';

/** A cached response: the JSON bytes and their ETag, computed once when the entry is stored. */
export interface CachedResponse {
  etag: string;
  body: Buffer;
}

/** Stored as "<etag>\n<json>": one value, one read. */
function encode(response: CachedResponse): Buffer {
  return Buffer.concat([Buffer.from(`${response.etag}\n`), response.body]);
}

function decode(value: Buffer): CachedResponse {
  const newline = value.indexOf(0x0a);
  return { etag: value.subarray(0, newline).toString(), body: value.subarray(newline + 1) };
}

function respond(result: unknown): CachedResponse {
  const body = Buffer.from(JSON.stringify(result));
  return { body, etag: etag(body, { weak: true }) };
}

/** Scheme, host and URL: responses hold absolute links, so each origin gets its own entry. */
function requestKey(req: Request): string {
  return `:${req.protocol}://${req.host}${req.originalUrl}`;
}

/**
 * Read cache of public catalogue responses. Entries are keyed by a catalogue generation number that every
 * staff write increments after it commits, so a response computed before a write can never be served after
 * it: readers read the generation (in the same Redis round trip as the entry) before they query the
 * database, writers bump it after their commit. Old entries are never read again and expire.
 */
export class CatalogCache {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly ttlSeconds: number,
  ) {}

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  /** The current catalogue generation (also used to keep in-process memos consistent with writes). */
  async generation(): Promise<string> {
    return (await this.kv.get(GENERATION_KEY)) ?? '0';
  }

  /** The cached response for this request, if any, and the generation it was looked up under. */
  async lookup(req: Request): Promise<{ generation: string; hit?: CachedResponse }> {
    const { generation, value } = await this.kv.getByGeneration(GENERATION_KEY, RESPONSE_PREFIX, requestKey(req));
    return { generation, hit: value === null ? undefined : decode(value) };
  }

  /**
   * Returns the cached response for this request, or computes, stores and returns it.
   * @param compute builds the response body; it throws for anything but a 200, so only 200s are cached
   */
  async remember(req: Request, compute: () => Promise<unknown>): Promise<{ response: CachedResponse; outcome: CacheOutcome }> {
    if (!this.enabled) return { response: respond(await compute()), outcome: 'BYPASS' };
    const { generation, hit } = await this.lookup(req);
    if (hit) return { response: hit, outcome: 'HIT' };
    const response = respond(await compute());
    await this.kv.set(`${RESPONSE_PREFIX}${generation}${requestKey(req)}`, encode(response), this.ttlSeconds);
    return { response, outcome: 'MISS' };
  }

  /** Call after a catalogue write has committed, before answering the writer. */
  async invalidate(): Promise<void> {
    await this.kv.increment(GENERATION_KEY);
  }
}

/** A public GET through the read cache; `X-Cache` says HIT, MISS or BYPASS. */
export async function cachedReply(cache: CatalogCache, req: Request, res: Response, compute: () => Promise<unknown>): Promise<Reply> {
  const { response, outcome } = await cache.remember(req, compute);
  res.setHeader('X-Cache', outcome);
  res.setHeader('ETag', response.etag);
  return { status: 200, rawJson: response.body };
}
