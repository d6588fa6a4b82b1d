import { Redis, type RedisOptions } from 'ioredis';

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

/**
 * A Redis client for the job queue (BullMQ): its blocking reads wait as long as they need, and commands wait
 * for a lost connection to come back rather than fail (BullMQ requires `maxRetriesPerRequest: null`).
 */
export function createQueueRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { connectTimeout: 2000, maxRetriesPerRequest: null, ...options });
}

export type { Redis };
