import { Redis } from 'ioredis';

/**
 * A Redis client that fails fast instead of queueing forever: a request that needs Redis while it is down
 * gets an error within a couple of seconds, and the health endpoints report it.
 */
export function createRedis(url: string): Redis {
  return new Redis(url, {
    lazyConnect: false,
    connectTimeout: 2000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
  });
}

export type { Redis };
