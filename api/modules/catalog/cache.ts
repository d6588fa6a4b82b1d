import type { Request } from 'express';
import type { KeyValueStore } from '../../infra/kv-store';

const GENERATION_KEY = 'catalog:generation';

export type CacheOutcome = 'HIT' | 'MISS' | 'BYPASS';

/**
 * Read cache of public catalogue responses. Entries are keyed by a catalogue generation number that every
 * staff write increments after it commits, so a response computed before a write can never be served after
 * it: readers read the generation before the database, writers bump it after their commit. Old entries are
 * simply never read again and expire. The key includes scheme and host because responses hold absolute links.
 */
export class CatalogCache {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly ttlSeconds: number,
  ) {}

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  /**
   * Returns the cached JSON for this request, or computes, stores and returns it.
   * @param compute builds the response body; only 200 responses are cached
   */
  async remember(req: Request, compute: () => Promise<unknown>): Promise<{ json: string; outcome: CacheOutcome }> {
    if (!this.enabled) return { json: JSON.stringify(await compute()), outcome: 'BYPASS' };
    const generation = (await this.kv.get(GENERATION_KEY)) ?? '0';
    const key = `catalog:response:${generation}:${req.protocol}://${req.host}${req.originalUrl}`;
    const hit = await this.kv.get(key);
    if (hit !== null) return { json: hit, outcome: 'HIT' };
    const json = JSON.stringify(await compute());
    await this.kv.set(key, json, this.ttlSeconds);
    return { json, outcome: 'MISS' };
  }

  /** Call after a catalogue write has committed, before answering the writer. */
  async invalidate(): Promise<void> {
    await this.kv.increment(GENERATION_KEY);
  }
}
