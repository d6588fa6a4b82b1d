import type { Knex } from 'knex';
import { ForeignKeyViolationError } from 'objection';
import { MediaStorageUnavailableError, NotFoundError, ValidationError } from '../../errors';
import { assertImage } from '../../http/images';
import { MediaStorageError, type MediaStorage } from '../../infra/media-storage';
import type { Actor, AuditLog } from '../audit';
import type { CatalogCache } from './cache';
import type { CategoryRepository } from './categories-repository';
import type { ProductRow } from './model';
import type { ProductEvents } from './product-events';
import { parseOrdering } from '../../http/ordering';
import { OLDEST_FIRST, type Listing } from './product-queries';
import type { ProductRepository, ProductWrite } from './products-repository';
import { PRODUCT_ORDERING, type ProductPatch } from './schemas';
import { toPrefixQuery } from './search';
import { slugify } from './slugs';
import type { CategoryTreeSource } from './tree-source';
import { insertWithFreeSlug, isSlugConflict } from './unique-slug';

export interface UploadedFile {
  buffer: Buffer;
  size: number;
}

export interface ProductAdminDeps {
  db: Knex;
  products: ProductRepository;
  categories: CategoryRepository;
  cache: CatalogCache;
  trees: CategoryTreeSource;
  storage: MediaStorage;
  maxImageBytes: number;
  audit: AuditLog;
  events: ProductEvents;
}

/** The fields of a product the audit log keeps, before and after a staff change. */
const AUDITED = ['title', 'slug', 'description', 'price', 'stock_quantity', 'category_id', 'is_active', 'image'] as const;
type Audited = Partial<Record<(typeof AUDITED)[number], unknown>>;

function audited(row: Partial<ProductRow>, only?: readonly string[]): Audited {
  return Object.fromEntries(AUDITED.filter((field) => (only ? only.includes(field) : true) && row[field] !== undefined).map((field) => [field, row[field]]));
}

const NO_PRODUCT = 'No Product matches the given query.';

/** The console's sort orders. */
export const BROWSE_ORDER = {
  newest: { column: 'p.created_at', direction: 'desc' },
  title: { column: 'p.title', direction: 'asc' },
  price: { column: 'p.price', direction: 'asc' },
  stock: { column: 'p.stock_quantity', direction: 'asc' },
} as const;

function unknownCategory(id: number): ValidationError {
  return ValidationError.field('category', `Invalid pk "${id}" - object does not exist.`, 'invalid');
}

/**
 * Staff work on products: listings that include inactive products, and writes. Every write invalidates the
 * public read cache after it commits, before the staff member gets the answer.
 */
export class ProductAdmin {
  constructor(private readonly deps: ProductAdminDeps) {}

  async list(query: { category?: string; price?: string; ordering?: string }): Promise<Listing> {
    const tree = await this.deps.trees.current();
    const filters = { includeInactive: true, price: query.price, categoryIds: undefined as number[] | undefined };
    if (query.category !== undefined) {
      const id = /^\d+$/.test(query.category) ? Number(query.category) : undefined;
      if (id === undefined || !tree.get(id)) throw ValidationError.field('category', 'Select a valid choice. That choice is not one of the available choices.');
      filters.categoryIds = tree.subtreeIds(id);
    }
    const ordering = parseOrdering(query.ordering, PRODUCT_ORDERING, OLDEST_FIRST);
    return { count: () => this.deps.products.count(filters), fetch: (limit, offset) => this.deps.products.list(filters, ordering, limit, offset) };
  }

  /**
   * The console's product list: the shop's own full-text search (title and description), a category with its
   * subcategories, active or not, stock at or below a number; newest first or by title, price or stock.
   */
  async browse(query: { search?: string; category?: number; active?: boolean; maxStock?: number; sort?: keyof typeof BROWSE_ORDER; page: number; pageSize: number }): Promise<{ count: number; rows: ProductRow[] }> {
    const tree = await this.deps.trees.current();
    const text = query.search ? toPrefixQuery(query.search) : undefined;
    const filters = {
      includeInactive: query.active !== true,
      categoryIds: query.category !== undefined ? (tree.get(query.category) ? tree.subtreeIds(query.category) : []) : undefined,
      maxStock: query.maxStock,
      search: text ? { query: text, categoryIds: [] } : undefined,
      onlyInactive: query.active === false,
    };
    const [count, rows] = await Promise.all([
      this.deps.products.count(filters),
      this.deps.products.list(filters, BROWSE_ORDER[query.sort ?? 'newest'], query.pageSize, (query.page - 1) * query.pageSize),
    ]);
    return { count, rows };
  }

  async get(id: number): Promise<ProductRow> {
    const product = await this.deps.products.find({ id }, { includeInactive: true });
    if (!product) throw new NotFoundError(NO_PRODUCT);
    return product;
  }

  /**
   * Stores an uploaded image first, before anything is written to the database, so a store that cannot take it
   * (503 media_storage_unavailable) changes nothing; the caller removes it again if the database write fails.
   */
  private async storeImage(file: UploadedFile | undefined): Promise<string | undefined> {
    if (!file) return undefined;
    const type = assertImage(file, 'image', this.deps.maxImageBytes);
    try {
      return await this.deps.storage.save('products', file.buffer, type === 'jpeg' ? 'jpg' : type);
    } catch (error) {
      if (error instanceof MediaStorageError) throw new MediaStorageUnavailableError(error);
      throw error;
    }
  }

  private async assertCategory(id: number | undefined, trx: Knex.Transaction): Promise<void> {
    if (id !== undefined && !(await this.deps.categories.find({ id }, trx))) throw unknownCategory(id);
  }

  /** Creates a product; without a slug, one is generated from the title and de-duplicated. */
  async create(actor: Actor, input: ProductPatch & { title: string; price: string; category: number }, file?: UploadedFile): Promise<ProductRow> {
    const uploaded = await this.storeImage(file);
    const row: ProductWrite & { title: string; price: string; category_id: number } = {
      title: input.title,
      price: input.price,
      category_id: input.category,
      description: input.description ?? '',
      stock_quantity: input.stock_quantity ?? 0,
      is_active: input.is_active ?? true,
      image: uploaded ?? input.image ?? null,
    };
    try {
      const id = await this.deps.db.transaction(async (trx) => {
        await this.assertCategory(input.category, trx);
        const created =
          input.slug !== undefined
            ? await this.deps.products.insert({ ...row, slug: input.slug }, trx)
            : await insertWithFreeSlug(trx, 'products', slugify(input.title), 'product', (slug, savepoint) => this.deps.products.insert({ ...row, slug }, savepoint));
        await this.deps.audit.record(trx, actor, { action: 'product.created', resourceType: 'product', resourceId: created, after: audited(row) });
        await this.deps.events.announceChange(trx, created, 'product.created');
        return created;
      });
      await this.deps.cache.invalidate();
      return await this.get(id);
    } catch (error) {
      if (uploaded) await this.deps.storage.remove(uploaded).catch(() => undefined);
      throw this.translate(error, input);
    }
  }

  /** PUT and PATCH. The slug stays as it is when the title changes (links keep working), unless one is given. */
  async update(actor: Actor, id: number, patch: ProductPatch, file?: UploadedFile): Promise<ProductRow> {
    const before = await this.get(id);
    const uploaded = await this.storeImage(file);
    // A client that sends back the URL it was given (GET, edit, PUT) keeps the stored file: same image.
    const sameImage = Boolean(before.image && patch.image?.endsWith(`/${before.image}`));
    const changes: ProductWrite = {
      title: patch.title,
      slug: patch.slug,
      description: patch.description,
      price: patch.price,
      stock_quantity: patch.stock_quantity,
      category_id: patch.category,
      is_active: patch.is_active,
      image: uploaded ?? (sameImage ? undefined : patch.image),
    };
    try {
      await this.deps.db.transaction(async (trx) => {
        await this.assertCategory(patch.category, trx);
        if (!(await this.deps.products.update(id, changes, trx))) throw new NotFoundError(NO_PRODUCT);
        // Only what the change touched, with its value before and after.
        const touched = Object.entries(changes).filter(([field, value]) => value !== undefined && String(value) !== String(before[field as keyof ProductRow])).map(([field]) => field);
        if (touched.length > 0) {
          await this.deps.audit.record(trx, actor, { action: 'product.updated', resourceType: 'product', resourceId: id, before: audited(before, touched), after: audited(changes, touched) });
          await this.deps.events.announceChange(trx, id, before.is_active && changes.is_active === false ? 'product.deactivated' : 'product.updated');
        }
        if (changes.stock_quantity !== undefined) await this.deps.events.stockChanged(trx, [{ productId: id, before: before.stock_quantity, after: changes.stock_quantity }]);
      });
    } catch (error) {
      if (uploaded) await this.deps.storage.remove(uploaded).catch(() => undefined);
      throw this.translate(error, patch);
    }
    await this.deps.cache.invalidate();
    if (changes.image !== undefined && before.image && before.image !== changes.image) await this.removeStoredImage(before.image);
    return this.get(id);
  }

  async delete(actor: Actor, id: number): Promise<void> {
    const deleted = await this.deps.db.transaction(async (trx) => {
      const last = await this.deps.events.current(trx, id);
      const row = await this.deps.products.delete(id, trx);
      if (row) await this.deps.audit.record(trx, actor, { action: 'product.deleted', resourceType: 'product', resourceId: id, before: audited(row) });
      if (row && last) await this.deps.events.announce(trx, 'product.deleted', last);
      return row;
    });
    if (!deleted) throw new NotFoundError(NO_PRODUCT);
    await this.deps.cache.invalidate();
    if (deleted.image) await this.removeStoredImage(deleted.image);
  }

  /** Best effort: a leftover file costs disk space, never correctness. External URLs are not ours to delete. */
  private async removeStoredImage(image: string): Promise<void> {
    if (/^https?:\/\//.test(image)) return;
    await this.deps.storage.remove(image).catch(() => undefined);
  }

  private translate(error: unknown, input: ProductPatch): unknown {
    if (isSlugConflict(error)) return ValidationError.field('slug', 'product with this slug already exists.', 'unique');
    const foreignKey = error instanceof ForeignKeyViolationError || (error as { code?: string }).code === '23503';
    if (foreignKey && input.category !== undefined) return unknownCategory(input.category);
    return error;
  }
}
