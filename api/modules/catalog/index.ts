import type { Knex } from 'knex';
import { AuditLog } from '../audit';
import type { Endpoint } from '../../http/endpoint';
import type { CacheStore } from '../../infra/cache-store';
import type { MediaStorage } from '../../infra/media-storage';
import { CatalogCache } from './cache';
import type { ProductRow } from './model';
import { CategoryRepository } from './categories-repository';
import { CategoryService } from './category-service';
import { ProductAdmin } from './product-admin';
import { ProductQueries } from './product-queries';
import { ProductRepository } from './products-repository';
import { ProductEvents } from './product-events';
import { publicCatalogEndpoints } from './public-routes';
import { CategoryTreeSource } from './tree-source';
import { adminRootEndpoint, categoryWriteEndpoints, productWriteEndpoints } from './staff-routes';

export interface CatalogModuleDeps {
  db: Knex;
  /** Where the read cache lives (a Redis allowed to evict, or the in-process store). */
  cacheStore: CacheStore;
  storage: MediaStorage;
  cacheTtlSeconds: number;
  maxImageBytes: number;
  /** Image links in events are made on it (PUBLIC_URL/media/). */
  eventMediaBase: string;
  lowStockThreshold: number;
}

export interface CatalogModule {
  /** Mounted at /api/v1: public reads plus the staff REST aliases on the same paths. */
  endpoints: Endpoint[];
  cache: CatalogCache;
  /** Staff work on products and categories (the staff routes and the console). */
  staff: { products: ProductAdmin; categories: CategoryService };
  /** The catalogue's outbox events; checkouts report the stock they took to it. */
  events: ProductEvents;
}

export function createCatalogModule(deps: CatalogModuleDeps): CatalogModule {
  const products = new ProductRepository(deps.db);
  const categoryRepository = new CategoryRepository(deps.db);
  const cache = new CatalogCache(deps.cacheStore, deps.cacheTtlSeconds, (id) => products.slugOf(id));
  const trees = new CategoryTreeSource(categoryRepository, cache);
  const queries = new ProductQueries({ products, trees });
  const audit = new AuditLog(deps.db);
  const events = new ProductEvents({ products, mediaBase: deps.eventMediaBase, lowStockThreshold: deps.lowStockThreshold });
  const categories = new CategoryService({ db: deps.db, categories: categoryRepository, cache, trees, audit });
  const staff = {
    products: new ProductAdmin({ db: deps.db, products, categories: categoryRepository, cache, trees, storage: deps.storage, maxImageBytes: deps.maxImageBytes, audit, events }),
    categories,
    maxImageBytes: deps.maxImageBytes,
  };
  return {
    endpoints: [
      ...publicCatalogEndpoints({ queries, categories, cache }),
      ...productWriteEndpoints(staff, '/products/', '/products/:ref/', false),
      ...categoryWriteEndpoints(staff, '/categories/', '/categories/:ref/', false),
      adminRootEndpoint(),
      ...productWriteEndpoints(staff, '/admin/products', '/admin/products/:ref', true),
      ...categoryWriteEndpoints(staff, '/admin/categories', '/admin/categories/:ref', true),
    ],
    cache,
    staff,
    events,
  };
}

export { CatalogCache, cachedReply, cacheScopes } from './cache';
export { slugify, isUnreachableSlug, RESERVED_SLUGS, MAX_SLUG_LENGTH } from './slugs';

/** Tells every API process that the catalogue changed behind its back (e.g. after seeding). */
export async function invalidateCatalogCache(store: CacheStore): Promise<void> {
  await new CatalogCache(store, 1).invalidate();
}
export { reserveStock, restoreStock, productAvailability, StockUnavailableError } from './stock';
export type { StockLine, ReservedProduct, UnavailableReason } from './stock';
export { serializeProduct } from './serializers';
export type { ProductView } from './schemas';
export { productSchema } from './schemas';
export { productExample } from './examples';

/** Products by id (inactive ones included) for carts and orders, keyed by id. */
export async function loadProducts(db: Knex, ids: number[]): Promise<Map<number, ProductRow>> {
  const rows = await new ProductRepository(db).findMany(ids);
  return new Map(rows.map((row) => [row.id, row]));
}
export type { ProductRow } from './model';

/** What reviews need of a product: whether the public can see it, and its denormalised rating counts. */
export async function productRating(db: Knex, id: number): Promise<{ isActive: boolean; ratingCounts: number[]; averageRating: string } | undefined> {
  const row = await db('products').where({ id }).first<{ is_active: boolean; rating_counts: number[]; average_rating: string } | undefined>('is_active', 'rating_counts', 'average_rating');
  return row && { isActive: row.is_active, ratingCounts: row.rating_counts, averageRating: row.average_rating };
}
export type { ProductAdmin } from './product-admin';
export type { ProductEvents, StockChange } from './product-events';
export type { CategoryService } from './category-service';
export { categoryBody, categoryPatchBody, productBody, productPatchBody } from './schemas';
