import { invalidateCatalogCache } from '../../api/modules/catalog';
import { RedisKeyValueStore } from '../../api/infra/kv-store';
import { createRedis } from '../../api/infra/redis';

/**
 * After writing catalogue rows directly (seeding), bumps the catalogue generation in the Redis the API uses
 * (REDIS_URL, REDIS_KEY_PREFIX), so running API processes drop their cached responses at once instead of
 * within CATALOG_CACHE_TTL. Without REDIS_URL there is no shared cache to tell.
 * @returns whether a cache was told
 */
export async function announceCatalogChange(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (!env.REDIS_URL) return false;
  const redis = createRedis(env.REDIS_URL);
  try {
    await invalidateCatalogCache(new RedisKeyValueStore(redis, env.REDIS_KEY_PREFIX ?? 'nexus:'));
    return true;
  } finally {
    redis.disconnect();
  }
}
