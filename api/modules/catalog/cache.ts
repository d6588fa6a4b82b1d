import type { Request, Response } from 'express';
import etag from 'etag';
import { canonicalOrigin, canonicalUrl, sortedRawQuery } from '../../http/canonical-request';
import type { Reply } from '../../http/endpoint';
import type { CacheStore } from '../../infra/cache-store';

export type CacheOutcome = 'HIT' | 'MISS' | 'BYPASS';

/** A cached response: the JSON bytes and their ETag, computed once when the entry is stored, and the route that answered. */
export interface CachedResponse {
  etag: string;
  body: Buffer;
  /** The route template (for metrics and logs of the hits the fast lane answers without routing). */
  route?: string;
}

/**
 * Longest cache key (origin and canonical URL); longer requests are answered without the cache. Real
 * catalogue URLs are far shorter; the bound keeps one request from storing a key of kilobytes.
 */
export const MAX_KEY_LENGTH = 1024;

/**
 * What a cached response depends on besides the whole catalogue, so that a write invalidates only the
 * responses it changes. Every entry also depends on `catalog`, which staff writes and seeding bump.
 */
export const cacheScopes = {
  /** One product's detail page, by the reference it was asked with (id or slug). */
  product: (ref: number | string) => `product:${ref}`,
  /** A product's public review pages (also `/reviews/?product=`). */
  productReviews: (productId: number) => `reviews:product:${productId}`,
  /** A product's rating stats: they change with reviews written, edited or deleted, not with votes. */
  productRatings: (productId: number) => `ratings:product:${productId}`,
  /** A user's public review page (also `/reviews/?user=`). */
  userReviews: (userId: number) => `reviews:user:${userId}`,
};
const CATALOG = 'catalog';

/** Stored as "<etag> <route>\n<json>": one value, one read (neither an ETag nor a route template has a space). */
function encode(response: CachedResponse): Buffer {
  return Buffer.concat([Buffer.from(`${response.etag} ${response.route ?? ''}\n`), response.body]);
}

function decode(value: Buffer): CachedResponse {
  const newline = value.indexOf(0x0a);
  const [etag = '', route] = value.subarray(0, newline).toString().split(' ');
  return { etag, body: value.subarray(newline + 1), route: route || undefined };
}

function respond(result: unknown, route: string | undefined): CachedResponse {
  const body = Buffer.from(JSON.stringify(result));
  return { body, etag: etag(body, { weak: true }), route };
}

function bounded(key: string | undefined): string | undefined {
  return key !== undefined && key.length <= MAX_KEY_LENGTH ? key : undefined;
}

/**
 * The key of a request as the fast lane sees it, before any routing: origin, raw path, query pairs sorted. It
 * equals the stored key exactly when the request is already in canonical form (the common case: clients that
 * follow the API's links or write parameters the way it does); any other spelling misses here and is found by
 * the router, which keys on the canonical form.
 */
function rawKey(req: Request): string | undefined {
  const url = req.url ?? '';
  const question = url.indexOf('?');
  const path = question === -1 ? url : url.slice(0, question);
  const query = question === -1 ? '' : sortedRawQuery(url.slice(question + 1));
  return bounded(`${canonicalOrigin(req)}${path}${query ? `?${query}` : ''}`);
}

/**
 * Read cache of public catalogue and review responses, keyed by the canonical request (origin, route path,
 * validated query: unknown parameters and their order make no new entries). Each entry records the
 * generations of the scopes it depends on, read before it was computed; a write bumps the scopes it changes
 * after it commits, so a response computed before a write is never served after it, by any API process.
 */
export class CatalogCache {
  constructor(
    private readonly store: CacheStore,
    private readonly ttlSeconds: number,
    /** A product's slug, for retiring its detail page cached under the slug too. */
    private readonly slugOf: (productId: number) => Promise<string | undefined> = async () => undefined,
  ) {}

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  /** The catalogue's generation: changes with every staff write (keeps in-process memos consistent with writes). */
  async generation(): Promise<string> {
    return (await this.store.generations([CATALOG]))[0] as string;
  }

  /** The fast lane's lookup: the cached response for this request as it arrived, if any. */
  async peek(req: Request): Promise<CachedResponse | undefined> {
    const key = rawKey(req);
    if (key === undefined) return undefined;
    const found = await this.store.lookup(key, []);
    return 'payload' in found ? decode(found.payload) : undefined;
  }

  /**
   * Returns the cached response for this request, or computes, stores and returns it. A cache that cannot be
   * reached is skipped (BYPASS), not an error: the database can still answer.
   * @param scopes what the response depends on besides the whole catalogue (see cacheScopes)
   * @param compute builds the response body; it throws for anything but a 200, so only 200s are cached
   */
  async remember(req: Request, scopes: readonly string[], compute: () => Promise<unknown>): Promise<{ response: CachedResponse; outcome: CacheOutcome }> {
    const key = this.enabled ? bounded(canonicalUrl(req)) : undefined;
    if (key === undefined) return { response: respond(await compute(), req.routeTemplate), outcome: 'BYPASS' };
    const dependsOn = [CATALOG, ...scopes];
    const found = await this.store.lookup(key, dependsOn).catch(() => undefined);
    if (found === undefined) return { response: respond(await compute(), req.routeTemplate), outcome: 'BYPASS' };
    if ('payload' in found) return { response: decode(found.payload), outcome: 'HIT' };
    const response = respond(await compute(), req.routeTemplate);
    const recorded = new Map(dependsOn.map((scope, index) => [scope, found.generations[index] as string]));
    await this.store.store(key, recorded, encode(response), this.ttlSeconds).catch(() => undefined);
    return { response, outcome: 'MISS' };
  }

  /** Everything changed (staff catalogue writes, moderation, seeding): call after the write has committed. */
  async invalidate(): Promise<void> {
    await this.store.bump([CATALOG]);
  }

  /**
   * A customer's review write committed: that product's review pages and the author's review page change at
   * once, and with `ratings` (a review created, edited or deleted) the product's stats and own page too. Product
   * lists, search and the unfiltered review list show the new ratings and counts within the cache TTL, as they
   * show stock, so that no customer can keep the whole catalogue cache empty.
   */
  async reviewsChanged(change: { productId: number; authorId: number; ratings: boolean }): Promise<void> {
    const scopes = [cacheScopes.productReviews(change.productId), cacheScopes.userReviews(change.authorId)];
    if (change.ratings) {
      scopes.push(cacheScopes.productRatings(change.productId), cacheScopes.product(change.productId));
      const slug = await this.slugOf(change.productId);
      if (slug) scopes.push(cacheScopes.product(slug));
    }
    await this.store.bump(scopes);
  }
}

/**
 * A public GET through the read cache; `X-Cache` says HIT, MISS or BYPASS.
 * @param scopes what the response depends on besides the whole catalogue (see cacheScopes)
 */
export async function cachedReply(cache: CatalogCache, req: Request, res: Response, compute: () => Promise<unknown>, scopes: readonly string[] = []): Promise<Reply> {
  const { response, outcome } = await cache.remember(req, scopes, compute);
  res.setHeader('X-Cache', outcome);
  res.setHeader('ETag', response.etag);
  return { status: 200, rawJson: response.body };
}
