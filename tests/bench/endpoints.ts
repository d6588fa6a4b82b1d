import type { BenchData } from './database';

/** `cached`: the API process with the read cache on (CATALOG_CACHE_TTL=300); `uncached`: the one with it off (0). */
export type Variant = 'cached' | 'uncached';

export interface BenchEndpoint {
  /** Stable label; the targets refer to it. */
  name: string;
  /** Path and query relative to /api/v1. */
  path: string;
  variant: Variant;
  /** Target: the API's req/s at least this fraction of the ceiling's for the same path. */
  minRatio?: number;
}

export const API_PREFIX = '/api/v1';

/** Target for every read endpoint (catalogue and reviews), cached or not, at the benchmark's concurrency. */
export const MAX_P99_MS = 50;

/** Both variants of one path, with an optional ratio target for each. */
function both(name: string, path: string, minRatio: Partial<Record<Variant, number>> = {}): BenchEndpoint[] {
  return (['cached', 'uncached'] as const).map((variant) => ({ name, path, variant, ...(minRatio[variant] ? { minRatio: minRatio[variant] } : {}) }));
}

/**
 * What `npm run bench` measures, one endpoint at a time, in this order. Values come from the seeded data
 * (see discoverData). To benchmark a new endpoint, add a line here, e.g.
 *   ...both('review list: 5 stars', '/reviews/?rating=5'),
 */
export function benchEndpoints(data: BenchData): BenchEndpoint[] {
  const word = encodeURIComponent(data.searchWord.word);
  return [
    ...both('product list', '/products/', { cached: 0.5, uncached: 0.2 }),
    ...both('product list: department, by price desc', `/products/?category=${encodeURIComponent(data.department.slug)}&ordering=-price`),
    ...both('product list: price 10–50', '/products/?min_price=10&max_price=50'),
    ...both('search: common word', `/products/search/?q=${word}`, { uncached: 0.2 }),
    ...both('product by id', `/products/${data.product.id}/`),
    ...both('product by slug', `/products/${encodeURIComponent(data.product.slug)}/`),
    ...both('category list', '/categories/'),
    ...both('product reviews', `/reviews/product/${data.product.id}/`),
    ...both('product review stats', `/reviews/product/${data.product.id}/stats/`),
  ];
}
