import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Storage for a read cache with scoped invalidation. Each entry records the generation of every scope it was
 * computed under (e.g. `catalog`, `product:12`); a lookup returns it only while all of them are still current,
 * and bumping a scope gives it a new random generation, which retires every entry that recorded the old one.
 * Keys are reused rather than orphaned: a stale entry is overwritten by the next miss.
 *
 * Generations are random tokens, never counters, so the store may evict them (a Redis with `allkeys-lru`):
 * an evicted generation comes back as a new token, and the entries that recorded the old one are misses. A
 * counter could come back to a value an old entry recorded and revive it.
 */
export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  /**
   * The entry stored under `key` if every generation it recorded is current; otherwise the current
   * generations of `scopes` (created when missing), to record with the entry the caller is about to compute.
   */
  lookup(key: string, scopes: readonly string[]): Promise<{ payload: Buffer } | { generations: string[] }>;
  /** The current generations of `scopes` (created when missing). */
  generations(scopes: readonly string[]): Promise<string[]>;
  /** Stores a payload with the generations it was computed under (read before computing it). */
  store(key: string, recorded: ReadonlyMap<string, string>, payload: Buffer, ttlSeconds: number): Promise<void>;
  /** New generations for these scopes: every entry that recorded an older one is stale from now on. */
  bump(scopes: readonly string[]): Promise<void>;
  ping(): Promise<void>;
}

const ENTRY = 'cache:entry:';
const GENERATION = 'cache:gen:';

function newGeneration(): string {
  return randomBytes(9).toString('base64url');
}

/** "scope=generation scope=generation\n" then the payload: the validity check and the bytes in one value. */
function encodeEntry(recorded: ReadonlyMap<string, string>, payload: Buffer): Buffer {
  const header = [...recorded].map(([scope, generation]) => `${scope}=${generation}`).join(' ');
  return Buffer.concat([Buffer.from(`${header}\n`), payload]);
}

function payloadOf(entry: Buffer): Buffer {
  return entry.subarray(entry.indexOf(0x0a) + 1);
}

// KEYS[1] = the entry; ARGV[1] = the generation keys' prefix, ARGV[2] = a new generation for missing scopes,
// ARGV[3..] = the scopes whose generations a miss returns. Generation keys are built in the script, which is
// fine on a single Redis (not cluster-safe; nexus does not use Redis Cluster).
const LOOKUP = `
local entry = redis.call('GET', KEYS[1])
if entry then
  local stop = string.find(entry, '\\n', 1, true)
  local fresh = stop ~= nil
  if fresh then
    for scope, generation in string.gmatch(string.sub(entry, 1, stop - 1), '([^ =]+)=([^ ]+)') do
      if redis.call('GET', ARGV[1] .. scope) ~= generation then
        fresh = false
        break
      end
    end
  end
  if fresh then return { 1, entry } end
end
local generations = {}
for index = 3, #ARGV do
  local key = ARGV[1] .. ARGV[index]
  local generation = redis.call('GET', key)
  if not generation then
    redis.call('SET', key, ARGV[2])
    generation = ARGV[2]
  end
  generations[#generations + 1] = generation
end
return { 0, generations }`;

type LookupReply = [number, Buffer | Buffer[]];

/** One Redis round trip per lookup (a Lua script checks the entry's generations where they live). */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    if (!('nexusCacheLookup' in redis)) redis.defineCommand('nexusCacheLookup', { numberOfKeys: 1, lua: LOOKUP });
  }

  private async run(entryKey: string, scopes: readonly string[]): Promise<LookupReply> {
    // ioredis defines a `…Buffer` twin of every custom command, answering with Buffers instead of strings.
    const call = (this.redis as unknown as { nexusCacheLookupBuffer: (...args: string[]) => Promise<LookupReply> }).nexusCacheLookupBuffer;
    return call.call(this.redis, entryKey, this.prefix + GENERATION, newGeneration(), ...scopes);
  }

  async lookup(key: string, scopes: readonly string[]): Promise<{ payload: Buffer } | { generations: string[] }> {
    const [hit, value] = await this.run(this.prefix + ENTRY + key, scopes);
    if (hit === 1) return { payload: payloadOf(value as Buffer) };
    return { generations: (value as Buffer[]).map(String) };
  }

  async generations(scopes: readonly string[]): Promise<string[]> {
    const [, value] = await this.run(`${this.prefix}cache:no-entry`, scopes);
    return (value as Buffer[]).map(String);
  }

  async store(key: string, recorded: ReadonlyMap<string, string>, payload: Buffer, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.prefix + ENTRY + key, encodeEntry(recorded, payload), 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async bump(scopes: readonly string[]): Promise<void> {
    if (scopes.length === 0) return;
    const generation = newGeneration();
    await this.redis.mset(Object.fromEntries(scopes.map((scope) => [this.prefix + GENERATION + scope, generation])));
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }
}

/** Most entries the in-process store keeps; past it the oldest go first (development only, one process). */
const MEMORY_MAX_ENTRIES = 10_000;

/** Process-local stand-in for development without Redis: the same semantics, for one process. */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, { value: Buffer; expiresAt: number }>();
  private readonly scopeGenerations = new Map<string, string>();

  constructor(private readonly now: () => number = Date.now) {}

  private current(scope: string): string {
    let generation = this.scopeGenerations.get(scope);
    if (generation === undefined) {
      generation = newGeneration();
      this.scopeGenerations.set(scope, generation);
    }
    return generation;
  }

  async lookup(key: string, scopes: readonly string[]): Promise<{ payload: Buffer } | { generations: string[] }> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) {
      const header = entry.value.subarray(0, entry.value.indexOf(0x0a)).toString();
      const recorded = header.split(' ').filter(Boolean).map((pair) => pair.split('=') as [string, string]);
      if (recorded.every(([scope, generation]) => this.scopeGenerations.get(scope) === generation)) return { payload: payloadOf(entry.value) };
    }
    return { generations: scopes.map((scope) => this.current(scope)) };
  }

  async generations(scopes: readonly string[]): Promise<string[]> {
    return scopes.map((scope) => this.current(scope));
  }

  async store(key: string, recorded: ReadonlyMap<string, string>, payload: Buffer, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value: encodeEntry(recorded, payload), expiresAt: this.now() + ttlSeconds * 1000 });
    if (this.entries.size > MEMORY_MAX_ENTRIES) this.evict();
  }

  async bump(scopes: readonly string[]): Promise<void> {
    const generation = newGeneration();
    for (const scope of scopes) this.scopeGenerations.set(scope, generation);
  }

  async ping(): Promise<void> {}

  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    // Maps iterate in insertion order, so the first keys are the oldest entries.
    for (const key of this.entries.keys()) {
      if (this.entries.size <= MEMORY_MAX_ENTRIES) break;
      this.entries.delete(key);
    }
  }
}
