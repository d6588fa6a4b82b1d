import type { CatalogCache } from './cache';
import type { CategoryRepository } from './categories-repository';
import { CategoryTree } from './category-tree';

/** Longest a tree may be reused without a catalogue write: bounds staleness after writes that bypass the API (seeding, SQL). */
const MAX_AGE_MS = 30_000;

/**
 * The category tree, read from the database once per catalogue generation instead of once per request
 * (when the read cache is on). A staff write bumps the generation after it commits, so the next request
 * reloads the tree; counts changed behind the API's back (a seeder, SQL) show up within MAX_AGE_MS.
 */
export class CategoryTreeSource {
  private memo?: { generation: string; loadedAt: number; tree: Promise<CategoryTree> };

  constructor(
    private readonly categories: CategoryRepository,
    private readonly cache: CatalogCache,
    private readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<CategoryTree> {
    // With the read cache off (CATALOG_CACHE_TTL=0) every read goes to the database, the tree included.
    if (!this.cache.enabled) return new CategoryTree(await this.categories.all());
    const generation = await this.cache.generation();
    const memo = this.memo;
    if (memo && memo.generation === generation && this.now() - memo.loadedAt < MAX_AGE_MS) return memo.tree;
    const tree = this.categories.all().then((rows) => new CategoryTree(rows));
    this.memo = { generation, loadedAt: this.now(), tree };
    tree.catch(() => {
      if (this.memo?.tree === tree) this.memo = undefined;
    });
    return tree;
  }
}
