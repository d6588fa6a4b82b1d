import { invalidateCatalogCache } from '../../api/modules/catalog';
import { RedisCacheStore } from '../../api/infra/cache-store';
import { createRedis } from '../../api/infra/redis';

/**
 * After writing catalogue rows directly (seeding), retires the whole read cache in the Redis the API keeps it
 * in (CACHE_REDIS_URL, else REDIS_URL; REDIS_KEY_PREFIX), so running API processes drop their cached
 * responses at once instead of within CATALOG_CACHE_TTL. Without either there is no shared cache to tell.
 * @returns whether a cache was told
 */
export async function announceCatalogChange(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const url = env.CACHE_REDIS_URL || env.REDIS_URL;
  if (!url) return false;
  const redis = createRedis(url);
  try {
    await invalidateCatalogCache(new RedisCacheStore(redis, env.REDIS_KEY_PREFIX ?? 'nexus:'));
    return true;
  } finally {
    redis.disconnect();
  }
}
