import type { RequestHandler } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { Redis } from 'ioredis';
import type { RateLimitRule } from '../config';
import { ThrottledError } from '../errors';

/** Creates the counter store of one rate-limit bucket; undefined means express-rate-limit's in-process store. */
export type RateLimitStoreFactory = (bucket: string) => Store | undefined;

export function redisRateLimitStores(redis: Redis, keyPrefix: string): RateLimitStoreFactory {
  return (bucket) =>
    new RedisStore({
      prefix: `${keyPrefix}rl:${bucket}:`,
      sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as never,
    });
}

/** Builds the limiter of one bucket; modules receive this and never see the store. */
export type RateLimiterFactory = (bucket: string, rule: RateLimitRule, options?: { failOpen?: boolean }) => RequestHandler;

export const memoryRateLimitStores: RateLimitStoreFactory = () => undefined;

/**
 * A per-client-IP limit for one bucket. The IP is Express's `req.ip`, which honours only the configured
 * number of trusted proxies, so a forged X-Forwarded-For cannot pick a fresh bucket. Rejections are 429 in
 * the DRF shape with `Retry-After` and the IETF `RateLimit` headers.
 */
export function rateLimiter(
  bucket: string,
  rule: RateLimitRule,
  options: { enabled: boolean; stores: RateLimitStoreFactory; failOpen?: boolean; /** Told of each refusal (metrics). */ refused?: () => void },
): RequestHandler {
  if (!options.enabled) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: rule.windowSeconds * 1000,
    limit: rule.max,
    identifier: bucket,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: options.stores(bucket),
    // The auth limits fail closed (an outage must not open brute force); the route classes fail open, so a
    // Redis outage does not take every request down with it.
    passOnStoreError: options.failOpen === true,
    handler: (_req, res, next) => {
      options.refused?.();
      const retryAfter = Number(res.getHeader('Retry-After')) || rule.windowSeconds;
      next(new ThrottledError(retryAfter));
    },
    validate: { trustProxy: false, xForwardedForHeader: false },
  });
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** API paths outside the route classes: probes, and the documentation (static pages and the schema). */
const UNCOUNTED = /^\/api\/v1\/(health|schema|docs|redoc)(\/|$)/;
const COUNTED = Symbol('nexus.routeClassCounted');

/**
 * Every API request counts once per client IP in its route class: reads or writes. The same middleware
 * guards the cache fast lane and the router; a request the lane counted and then handed to the router (a
 * miss) is not counted twice. A request the lane refused is counted again by the router, which answers the 429.
 */
export function routeClassLimits(limiters: { reads: RequestHandler; writes: RequestHandler }): RequestHandler {
  return (req, res, next) => {
    const marked = req as unknown as Record<symbol, boolean>;
    const path = (req.originalUrl || req.url || '').split('?')[0] ?? '';
    if (marked[COUNTED] || !path.startsWith('/api/v1/') || UNCOUNTED.test(path)) return next();
    const limiter = READ_METHODS.has(req.method) ? limiters.reads : limiters.writes;
    void limiter(req, res, (error?: unknown) => {
      if (!error) marked[COUNTED] = true;
      next(error);
    });
  };
}
