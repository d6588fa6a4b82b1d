import type { Knex } from 'knex';
import { createDatabase } from '../db/connection';
import { pendingMigrations } from '../db/migrator';
import { buildApp, type App, type AppDeps } from './app';
import type { Config } from './config';
import { memoryRateLimitStores, redisRateLimitStores } from './http/rate-limit';
import { MemoryCacheStore, RedisCacheStore, type CacheStore } from './infra/cache-store';
import { MemoryKeyValueStore, RedisKeyValueStore, type KeyValueStore } from './infra/kv-store';
import type { Logger } from './infra/logger';
import { Metrics } from './infra/metrics';
import { createMailer } from './infra/mailer';
import { LocalMediaStorage, S3MediaStorage, type MediaStorage } from './infra/media-storage';
import { createRedis, type Redis } from './infra/redis';
import { S3Bucket } from './infra/s3';
import { expirySweeper, type ExpirySweeper } from './modules/orders';

export interface Runtime extends App {
  db: Knex;
  redis?: Redis;
  kv: KeyValueStore;
  /** Cancels orders past their payment deadline every ORDER_EXPIRY_INTERVAL; started by the server, not by tests. */
  expirySweeper: ExpirySweeper;
  cacheStore: CacheStore;
  /** Stops the sweeper, then releases the database pool and the Redis connections. */
  close(): Promise<void>;
}

/**
 * The store MEDIA_STORAGE names. An upload waits for S3 at most a few seconds per attempt, so that an
 * unreachable service answers 503 rather than holding the request.
 */
export function createMediaStorage(media: Config['media']): MediaStorage {
  if (media.storage !== 's3' || !media.s3) return new LocalMediaStorage(media.root);
  const { credentials, ...location } = media.s3;
  return new S3MediaStorage(new S3Bucket(location, credentials, { maxAttempts: 3, connectionTimeoutMs: 3000, requestTimeoutMs: 30_000 }));
}

/** Creates the API's stateful dependencies from configuration and wires the app to them. */
export function createRuntime(config: Config, logger: Logger, overrides: Pick<AppDeps, 'now'> = {}): Runtime {
  const db = createDatabase({
    url: config.database.url,
    poolMax: config.database.poolMax,
    statementTimeoutMs: config.database.statementTimeoutMs,
    applicationName: 'nexus-api',
    warn: (message) => logger.warn({ source: 'knex' }, message),
  });
  const redis = config.redis.url ? createRedis(config.redis.url) : undefined;
  redis?.on('error', (error) => logger.warn({ err: error }, 'redis connection problem'));
  if (!redis) logger.warn('REDIS_URL is not set: using an in-process store (rate limits and token revocation are per process)');
  if (config.jwt.secretGenerated) logger.warn('JWT_SECRET is not set: using a random key, so tokens stop working when the process restarts');
  const kv = redis ? new RedisKeyValueStore(redis, config.redis.keyPrefix) : new MemoryKeyValueStore();
  const cacheRedis = config.redis.cacheUrl && config.redis.cacheUrl !== config.redis.url ? createRedis(config.redis.cacheUrl) : redis;
  if (cacheRedis !== redis) cacheRedis?.on('error', (error) => logger.warn({ err: error }, 'cache redis connection problem'));
  else if (redis && config.isProduction && config.catalog.cacheTtlSeconds > 0) {
    logger.warn('CACHE_REDIS_URL is not set: the read cache shares REDIS_URL, which must then not evict keys (see docs/deploy.md)');
  }
  const cacheStore = cacheRedis ? new RedisCacheStore(cacheRedis, config.redis.keyPrefix) : new MemoryCacheStore();
  const media = createMediaStorage(config.media);
  const metrics = new Metrics();
  if (config.metrics.enabled) {
    metrics.collectProcessMetrics();
    metrics.observeDatabasePool(db);
    if (redis) metrics.observeRedis(redis, 'main');
    if (cacheRedis && cacheRedis !== redis) metrics.observeRedis(cacheRedis, 'cache');
  }
  const built = buildApp({
    config,
    db,
    kv,
    cacheStore,
    logger,
    mailer: createMailer(config.mail, logger),
    media,
    rateLimitStores: redis ? redisRateLimitStores(redis, config.redis.keyPrefix) : memoryRateLimitStores,
    pendingMigrations: () => pendingMigrations(db),
    metrics,
    ...overrides,
  });
  const sweeper = expirySweeper(built.orderExpiry, config.orders.expiryIntervalSeconds, logger);
  return {
    ...built,
    db,
    redis,
    kv,
    expirySweeper: sweeper,
    cacheStore,
    async close() {
      await sweeper.stop();
      await db.destroy();
      for (const client of new Set([redis, cacheRedis])) if (client) await client.quit().catch(() => client.disconnect());
      if (media instanceof S3MediaStorage) media.bucket.close();
    },
  };
}
