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
export type RateLimiterFactory = (bucket: string, rule: RateLimitRule) => RequestHandler;

export const memoryRateLimitStores: RateLimitStoreFactory = () => undefined;

/**
 * A per-client-IP limit for one bucket. The IP is Express's `req.ip`, which honours only the configured
 * number of trusted proxies, so a forged X-Forwarded-For cannot pick a fresh bucket. Rejections are 429 in
 * the DRF shape with `Retry-After` and the IETF `RateLimit` headers.
 */
export function rateLimiter(bucket: string, rule: RateLimitRule, options: { enabled: boolean; stores: RateLimitStoreFactory }): RequestHandler {
  if (!options.enabled) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: rule.windowSeconds * 1000,
    limit: rule.max,
    identifier: bucket,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: options.stores(bucket),
    passOnStoreError: false,
    handler: (_req, res, next) => {
      const retryAfter = Number(res.getHeader('Retry-After')) || rule.windowSeconds;
      next(new ThrottledError(retryAfter));
    },
    validate: { trustProxy: false, xForwardedForHeader: false },
  });
}
