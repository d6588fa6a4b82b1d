import type { Redis } from 'ioredis';

/**
 * The small shared key-value store the API needs across processes (token deny-list, health probe). Keys here
 * must never be evicted; the read cache has its own store (cache-store.ts).
 * Redis in production; an in-process map stands in for local development without Redis.
 */
export interface KeyValueStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  set(key: string, value: string | Buffer, ttlSeconds: number): Promise<void>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Atomically adds one to a counter that expires `ttlSeconds` after its first increment (a fixed window,
   * not extended by later increments) and returns the new value.
   */
  incrementWithin(key: string, ttlSeconds: number): Promise<number>;
  /** Whole seconds until the key expires (rounded up); null when it does not exist or never expires. */
  secondsToLive(key: string): Promise<number | null>;
  ping(): Promise<void>;
}

// KEYS[1] = counter; ARGV[1] = window in seconds, set by the first increment only.
const INCREMENT_WITHIN = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count`;

export class RedisKeyValueStore implements KeyValueStore {
  readonly kind = 'redis';

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    if (!('nexusIncrementWithin' in redis)) redis.defineCommand('nexusIncrementWithin', { numberOfKeys: 1, lua: INCREMENT_WITHIN });
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }

  async set(key: string, value: string | Buffer, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async exists(key: string): Promise<boolean> {
    return (await this.redis.exists(this.prefix + key)) === 1;
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async incrementWithin(key: string, ttlSeconds: number): Promise<number> {
    const call = (this.redis as unknown as { nexusIncrementWithin: (...args: string[]) => Promise<number> }).nexusIncrementWithin;
    return call.call(this.redis, this.prefix + key, String(Math.max(1, Math.ceil(ttlSeconds))));
  }

  async secondsToLive(key: string): Promise<number | null> {
    const milliseconds = await this.redis.pttl(this.prefix + key);
    return milliseconds < 0 ? null : Math.ceil(milliseconds / 1000);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }
}

/** Process-local stand-in: correct for one process, which is why production refuses to run on it. */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, { value: string | Buffer; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(key: string): { value: string | Buffer; expiresAt: number } | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  async get(key: string): Promise<string | null> {
    const value = this.live(key)?.value;
    return value === undefined ? null : value.toString();
  }

  async set(key: string, value: string | Buffer, ttlSeconds: number): Promise<void> {
    if (this.entries.size > 10_000) this.sweep();
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async exists(key: string): Promise<boolean> {
    return this.live(key) !== undefined;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async incrementWithin(key: string, ttlSeconds: number): Promise<number> {
    const entry = this.live(key);
    const next = Number(entry?.value ?? 0) + 1;
    this.entries.set(key, { value: String(next), expiresAt: entry?.expiresAt ?? this.now() + ttlSeconds * 1000 });
    return next;
  }

  async secondsToLive(key: string): Promise<number | null> {
    const entry = this.live(key);
    if (!entry || entry.expiresAt === Number.POSITIVE_INFINITY) return null;
    return Math.ceil((entry.expiresAt - this.now()) / 1000);
  }

  async ping(): Promise<void> {}

  private sweep(): void {
    for (const key of [...this.entries.keys()]) this.live(key);
  }
}
