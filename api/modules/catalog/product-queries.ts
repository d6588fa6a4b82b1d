import { NotFoundError, ValidationError } from '../../errors';
import type { CategoryTree } from './category-tree';
import type { ProductRow } from './model';
import { parseOrdering, type Ordering } from '../../http/ordering';
import type { ProductFilters, ProductRepository } from './products-repository';
import { PRODUCT_ORDERING, type ProductListQuery } from './schemas';
import { toPrefixQuery } from './search';
import type { CategoryTreeSource } from './tree-source';

/** What a paginated endpoint needs: the total, and one page. */
export interface Listing {
  count: () => Promise<number>;
  fetch: (limit: number, offset: number) => Promise<ProductRow[]>;
  /** One query for a page and the total, where that is cheaper than two (ranked search). */
  fetchCounted?: (limit: number, offset: number) => Promise<{ rows: ProductRow[]; total: number }>;
}

export const OLDEST_FIRST: Ordering = { column: 'p.created_at', direction: 'asc' };
const NEWEST_FIRST: Ordering = { column: 'p.created_at', direction: 'desc' };
const NO_PRODUCT = 'No Product matches the given query.';
export const NO_CATEGORY = 'No Category matches the given query.';
const FEATURED_SIZE = 10;
const LATEST_SIZE = 20;

/** `/{ref}/` is an id when all digits (slugs never are), otherwise a slug. */
export function parseRef(ref: string): { id: number } | { slug: string } | undefined {
  if (/^\d{1,15}$/.test(ref)) return { id: Number(ref) };
  return /^[a-z0-9]+(-[a-z0-9]+)*$/.test(ref) ? { slug: ref } : undefined;
}

function fixedListing(rows: ProductRow[], ordering: Ordering | undefined): Listing {
  const key = ordering?.column.replace('p.', '') as keyof ProductRow | undefined;
  const sorted = key
    ? [...rows].sort((a, b) => {
        const [left, right] = key === 'price' || key === 'average_rating' ? [Number(a[key]), Number(b[key])] : [String(a[key]), String(b[key])];
        const order = left < right ? -1 : left > right ? 1 : a.id - b.id;
        return ordering?.direction === 'desc' ? -order : order;
      })
    : rows;
  return { count: async () => sorted.length, fetch: async (limit, offset) => sorted.slice(offset, offset + limit) };
}

/** Public catalogue reads: active products only, a fixed number of queries whatever the page size. */
export class ProductQueries {
  constructor(private readonly deps: { products: ProductRepository; trees: CategoryTreeSource }) {}

  private tree(): Promise<CategoryTree> {
    return this.deps.trees.current();
  }

  /** The category named by an id or slug, or undefined. */
  findCategory(tree: CategoryTree, ref: string): number | undefined {
    const parsed = parseRef(ref);
    if (!parsed) return undefined;
    return 'id' in parsed ? tree.get(parsed.id)?.id : tree.rows.find((row) => row.slug === parsed.slug)?.id;
  }

  /** `/products/` with its filters. Counts come from the maintained category counts when no other filter applies. */
  async list(query: ProductListQuery): Promise<Listing> {
    const tree = await this.tree();
    const filters: ProductFilters = { price: query.price, minPrice: query.min_price, maxPrice: query.max_price, inStock: query.in_stock };
    let categoryId: number | undefined;
    if (query.category !== undefined) {
      categoryId = this.findCategory(tree, query.category);
      if (categoryId === undefined) throw ValidationError.field('category', 'Select a valid choice. That choice is not one of the available choices.');
      filters.categoryIds = tree.subtreeIds(categoryId);
    }
    if (query.search !== undefined) {
      const search = toPrefixQuery(query.search);
      if (search) filters.search = await this.searchTerms(search, tree);
    }
    const ordering = parseOrdering(query.ordering, PRODUCT_ORDERING, OLDEST_FIRST);
    const onlyCategory = [filters.price, filters.minPrice, filters.maxPrice, filters.inStock, filters.search].every((value) => value === undefined);
    return {
      count: async () => (onlyCategory ? (categoryId === undefined ? tree.allProducts() : tree.totalProducts(categoryId)) : this.deps.products.count(filters)),
      fetch: (limit, offset) => this.deps.products.list(filters, ordering, limit, offset),
    };
  }

  /** A search also finds the products of categories (and their subcategories) whose names match. */
  private async searchTerms(query: string, tree: CategoryTree): Promise<{ query: string; categoryIds: number[] }> {
    const matched = await this.deps.products.categoriesMatching(query);
    return { query, categoryIds: [...new Set(matched.flatMap((id) => tree.subtreeIds(id)))] };
  }

  /** `/products/search/?q=`: best matches first (or `ordering`); no words, no results. */
  async search(q: string | undefined, orderingParam: string | undefined): Promise<Listing> {
    const query = toPrefixQuery(q ?? '');
    if (!query) return fixedListing([], undefined);
    const search = await this.searchTerms(query, await this.tree());
    const ordering = orderingParam ? parseOrdering(orderingParam, PRODUCT_ORDERING, NEWEST_FIRST) : undefined;
    return {
      count: () => this.deps.products.count({ search }),
      fetch: async (limit, offset) => (await this.deps.products.search(search, limit, offset, ordering)).rows,
      fetchCounted: (limit, offset) => this.deps.products.search(search, limit, offset, ordering),
    };
  }

  /** The 10 newest products (`featured`) or the 20 newest (`latest`), optionally re-ordered. */
  async newest(kind: 'featured' | 'latest', orderingParam: string | undefined): Promise<Listing> {
    const rows = await this.deps.products.list({}, NEWEST_FIRST, kind === 'featured' ? FEATURED_SIZE : LATEST_SIZE, 0);
    return fixedListing(rows, orderingParam ? parseOrdering(orderingParam, PRODUCT_ORDERING, NEWEST_FIRST) : undefined);
  }

  async detail(ref: string): Promise<ProductRow> {
    const parsed = parseRef(ref);
    const product = parsed ? await this.deps.products.find(parsed) : undefined;
    if (!product) throw new NotFoundError(NO_PRODUCT);
    return product;
  }

  /** `/categories/{ref}/products/`: 404 for an unknown category (the old backend answered an empty 200). */
  async inCategory(ref: string, orderingParam: string | undefined): Promise<Listing> {
    const tree = await this.tree();
    const categoryId = this.findCategory(tree, ref);
    if (categoryId === undefined) throw new NotFoundError(NO_CATEGORY);
    const filters = { categoryIds: tree.subtreeIds(categoryId) };
    const ordering = parseOrdering(orderingParam, PRODUCT_ORDERING, OLDEST_FIRST);
    return { count: async () => tree.totalProducts(categoryId), fetch: (limit, offset) => this.deps.products.list(filters, ordering, limit, offset) };
  }
}
