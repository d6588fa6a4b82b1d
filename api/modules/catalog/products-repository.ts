import type { Knex } from 'knex';
import { Product, type ProductRow } from './model';

export interface ProductFilters {
  /** Products in any of these categories. */
  categoryIds?: number[];
  price?: string;
  minPrice?: string;
  maxPrice?: string;
  inStock?: boolean;
  /** Products with this many or fewer in stock (the console's low-stock filter). */
  maxStock?: number;
  /** Full-text match on title and description (a tsquery, see search.ts), or membership of the categories whose names matched. */
  search?: { query: string; categoryIds: number[] };
  /** Staff listings see inactive products; public ones never do. */
  includeInactive?: boolean;
  /** Only the deactivated ones (a staff filter). */
  onlyInactive?: boolean;
}

export interface ProductOrder {
  column: string;
  direction: 'asc' | 'desc';
}

export type ProductWrite = Partial<Pick<ProductRow, 'title' | 'slug' | 'description' | 'price' | 'stock_quantity' | 'category_id' | 'image' | 'is_active'>>;

const COLUMNS = [
  'p.id',
  'p.title',
  'p.slug',
  'p.description',
  'p.price',
  'p.stock_quantity',
  'p.category_id',
  'c.name as category_name',
  'p.image',
  'p.is_active',
  'p.average_rating',
  'p.reviews_count',
  'p.created_at',
  'p.updated_at',
];

/**
 * Product queries. Listings are single SQL statements joining the category (no per-product queries, no
 * model instances on the hot path); public ones only ever see active products.
 */
export class ProductRepository {
  constructor(private readonly db: Knex) {}

  private filtered(filters: ProductFilters, db: Knex | Knex.Transaction = this.db): Knex.QueryBuilder {
    const query = db('products as p');
    if (!filters.includeInactive) query.where('p.is_active', true);
    if (filters.onlyInactive) query.where('p.is_active', false);
    if (filters.categoryIds) query.whereIn('p.category_id', filters.categoryIds);
    if (filters.price !== undefined) query.where('p.price', filters.price);
    if (filters.minPrice !== undefined) query.where('p.price', '>=', filters.minPrice);
    if (filters.maxPrice !== undefined) query.where('p.price', '<=', filters.maxPrice);
    if (filters.inStock !== undefined) query.where('p.stock_quantity', filters.inStock ? '>' : '=', 0);
    if (filters.maxStock !== undefined) query.where('p.stock_quantity', '<=', filters.maxStock);
    if (filters.search !== undefined) {
      const { query: text, categoryIds } = filters.search;
      // The category condition is added only when some category matched: an OR with a subquery would keep
      // PostgreSQL from using the GIN index and scan every product.
      query.where((match) => {
        match.whereRaw("p.search_vector @@ to_tsquery('english', ?)", [text]);
        if (categoryIds.length > 0) match.orWhereIn('p.category_id', categoryIds);
      });
    }
    return query;
  }

  async count(filters: ProductFilters): Promise<number> {
    const [row] = await this.filtered(filters).count<{ count: number }[]>({ count: '*' });
    return row?.count ?? 0;
  }

  async list(filters: ProductFilters, order: ProductOrder, limit: number, offset: number): Promise<ProductRow[]> {
    return this.filtered(filters)
      .join('categories as c', 'c.id', 'p.category_id')
      .select(COLUMNS)
      .orderBy([{ column: order.column, order: order.direction }, { column: 'p.id', order: order.direction }])
      .limit(limit)
      .offset(offset) as Promise<ProductRow[]>;
  }

  /** Ids of the categories whose names match a tsquery. */
  async categoriesMatching(query: string): Promise<number[]> {
    return this.db('categories').whereRaw("to_tsvector('english', name) @@ to_tsquery('english', ?)", [query]).pluck('id');
  }

  /**
   * Search results, best match first (title hits outrank description hits, which outrank category-name hits),
   * or in `order`, with the total number of matches. Ranking needs every match anyway, so the total is a
   * window count in the same pass; only ids and sort keys go through it, the 20 shown rows are joined after.
   */
  async search(
    search: { query: string; categoryIds: number[] },
    limit: number,
    offset: number,
    order?: ProductOrder,
  ): Promise<{ rows: ProductRow[]; total: number }> {
    const [sortKey, direction] = order
      ? [this.db.raw('??', [order.column]), order.direction]
      : [this.db.raw("ts_rank(p.search_vector, to_tsquery('english', ?))", [search.query]), 'desc' as const];
    const page = this.filtered({ search })
      .select('p.id', 'p.created_at', { sort_key: sortKey }, this.db.raw('count(*) OVER () AS total'))
      .orderBy([{ column: 'sort_key', order: direction }, ...(order ? [] : [{ column: 'p.created_at', order: 'desc' as const }]), { column: 'p.id', order: direction }])
      .limit(limit)
      .offset(offset);
    const rows = (await this.db
      .with('page', page)
      .from('page')
      .join('products as p', 'p.id', 'page.id')
      .join('categories as c', 'c.id', 'p.category_id')
      .select([...COLUMNS, 'page.total'])
      .orderBy([{ column: 'page.sort_key', order: direction }, ...(order ? [] : [{ column: 'page.created_at', order: 'desc' as const }]), { column: 'page.id', order: direction }])) as (ProductRow & { total: number })[];
    return { rows, total: rows[0]?.total ?? 0 };
  }

  async find(where: { id: number } | { slug: string }, options: { includeInactive?: boolean } = {}, db: Knex | Knex.Transaction = this.db): Promise<ProductRow | undefined> {
    const query = this.filtered({ includeInactive: options.includeInactive }, db)
      .join('categories as c', 'c.id', 'p.category_id')
      .select(COLUMNS);
    if ('id' in where) query.where('p.id', where.id);
    else query.where('p.slug', where.slug);
    return query.first() as Promise<ProductRow | undefined>;
  }

  /** Products by id for display inside carts and orders, inactive ones included; one query whatever the count. */
  /** A product's slug (inactive products included), or undefined. */
  async slugOf(id: number): Promise<string | undefined> {
    const row = await this.db('products').where({ id }).first<{ slug: string } | undefined>('slug');
    return row?.slug;
  }

  async findMany(ids: number[]): Promise<ProductRow[]> {
    if (ids.length === 0) return [];
    return this.filtered({ includeInactive: true })
      .join('categories as c', 'c.id', 'p.category_id')
      .select(COLUMNS)
      .whereIn('p.id', [...new Set(ids)]) as Promise<ProductRow[]>;
  }

  async slugTaken(slug: string, trx: Knex.Transaction): Promise<boolean> {
    return Boolean(await trx('products').where({ slug }).first('id'));
  }

  async insert(row: ProductWrite & Pick<ProductRow, 'title' | 'slug' | 'price' | 'category_id'>, trx: Knex.Transaction): Promise<number> {
    const created = await Product.query(trx).insert(row).returning('id');
    return created.id;
  }

  async update(id: number, patch: ProductWrite, trx: Knex.Transaction): Promise<boolean> {
    return (await trx('products').where({ id }).update({ ...patch, updated_at: trx.fn.now() })) === 1;
  }

  /** @returns the deleted product's image (for removal from storage), or undefined when there was none to delete */
  /** @returns the deleted row (for its image and the audit log), or undefined when there was none */
  async delete(id: number, trx?: Knex.Transaction): Promise<ProductRow | undefined> {
    const [row] = await (trx ?? this.db)('products').where({ id }).delete().returning<ProductRow[]>('*');
    return row;
  }
}
