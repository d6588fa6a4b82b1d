import type { Knex } from 'knex';
import { ForeignKeyViolationError } from 'objection';
import { ConflictError, NotFoundError, ValidationError } from '../../errors';
import type { Actor, AuditLog } from '../audit';
import type { CatalogCache } from './cache';
import { CategoryTree } from './category-tree';
import { DuplicateCategoryError, type CategoryRepository } from './categories-repository';
import type { CategoryRow } from './model';
import { NO_CATEGORY, parseRef } from './product-queries';
import type { CategoryInput, CategoryPatch } from './schemas';
import { slugify } from './slugs';
import type { CategoryTreeSource } from './tree-source';
import { insertWithFreeSlug } from './unique-slug';

type CategoryRank = (row: CategoryRow, tree: CategoryTree) => string | number;

const BY_NAME: CategoryRank = (row) => row.name.toLowerCase();

const ORDERING: Record<string, CategoryRank> = {
  id: (row) => row.id,
  name: BY_NAME,
  slug: (row) => row.slug,
  products_count: (row, tree) => tree.totalProducts(row.id),
};

function duplicate(error: DuplicateCategoryError): ValidationError {
  return ValidationError.field(error.field, `category with this ${error.field} already exists.`, 'unique');
}

/** 409 while a category still holds products or subcategories, naming how many and the way out. */
export function categoryNotEmpty(products: number, subcategories: number): ConflictError {
  return new ConflictError(
    `This category still has ${products} product(s) and ${subcategories} subcategory(ies); move them first (DELETE with ?move_to=<category id>).`,
    'category_not_empty',
    { products, subcategories },
  );
}

/** Categories for everyone (reads) and for staff (writes). Deleting never cascades into products. */
/** What the audit log keeps of a category. */
const audited = (row: CategoryRow) => ({ name: row.name, slug: row.slug, parent_id: row.parent_id });

export class CategoryService {
  constructor(private readonly deps: { db: Knex; categories: CategoryRepository; cache: CatalogCache; trees: CategoryTreeSource; audit: AuditLog }) {}

  tree(): Promise<CategoryTree> {
    return this.deps.trees.current();
  }

  /** All categories ordered as asked (name by default); the table is small, so ordering happens here. */
  sorted(tree: CategoryTree, ordering: string | undefined): CategoryRow[] {
    const descending = ordering?.startsWith('-') ?? false;
    const rank = ORDERING[(descending ? ordering?.slice(1) : ordering) ?? ''] ?? BY_NAME;
    return [...tree.rows].sort((a, b) => {
      const [left, right] = [rank(a, tree), rank(b, tree)];
      const order = left < right ? -1 : left > right ? 1 : a.id - b.id;
      return descending ? -order : order;
    });
  }

  async get(ref: string, tree?: CategoryTree): Promise<{ row: CategoryRow; tree: CategoryTree }> {
    const current = tree ?? (await this.tree());
    const parsed = parseRef(ref);
    const row = parsed ? ('id' in parsed ? current.get(parsed.id) : current.rows.find((candidate) => candidate.slug === parsed.slug)) : undefined;
    if (!row) throw new NotFoundError(NO_CATEGORY);
    return { row, tree: current };
  }

  private async assertParent(id: number | undefined, parent: number | null | undefined, trx: Knex.Transaction): Promise<void> {
    if (parent === undefined || parent === null) return;
    const tree = new CategoryTree(await this.deps.categories.all(trx));
    if (!tree.get(parent)) throw ValidationError.field('parent', `Invalid pk "${parent}" - object does not exist.`);
    if (id !== undefined && tree.wouldCycle(id, parent)) throw ValidationError.field('parent', 'A category cannot be placed under itself or one of its subcategories.');
  }

  async create(actor: Actor, input: CategoryInput): Promise<CategoryRow> {
    try {
      const row = await this.deps.db.transaction(async (trx) => {
        await this.assertParent(undefined, input.parent, trx);
        const values = { name: input.name, description: input.description ?? '', parent_id: input.parent ?? null };
        const created =
          input.slug !== undefined
            ? await this.deps.categories.insert({ ...values, slug: input.slug }, trx)
            : await insertWithFreeSlug(trx, 'categories', slugify(input.name), 'category', (slug, savepoint) => this.deps.categories.insert({ ...values, slug }, savepoint));
        await this.deps.audit.record(trx, actor, { action: 'category.created', resourceType: 'category', resourceId: created.id, after: audited(created) });
        return created;
      });
      await this.deps.cache.invalidate();
      return row;
    } catch (error) {
      if (error instanceof DuplicateCategoryError) throw duplicate(error);
      throw error;
    }
  }

  async update(actor: Actor, id: number, patch: CategoryPatch): Promise<CategoryRow> {
    try {
      const row = await this.deps.db.transaction(async (trx) => {
        await this.assertParent(id, patch.parent, trx);
        const before = await this.deps.categories.find({ id }, trx);
        const updated = await this.deps.categories.update(id, { name: patch.name, slug: patch.slug, description: patch.description, parent_id: patch.parent }, trx);
        if (before && updated) await this.deps.audit.record(trx, actor, { action: 'category.updated', resourceType: 'category', resourceId: id, before: audited(before), after: audited(updated) });
        return updated;
      });
      if (!row) throw new NotFoundError(NO_CATEGORY);
      await this.deps.cache.invalidate();
      return row;
    } catch (error) {
      if (error instanceof DuplicateCategoryError) throw duplicate(error);
      throw error;
    }
  }

  /**
   * Deletes an empty category. With products or subcategories it is refused (409) unless `moveTo` names
   * another category, which then receives them in the same transaction.
   */
  async delete(actor: Actor, id: number, moveTo?: number): Promise<void> {
    try {
      await this.deps.db.transaction(async (trx) => {
        await this.deps.categories.lock(moveTo === undefined ? [id] : [id, moveTo], trx);
        const before = await this.deps.categories.find({ id }, trx);
        if (!before) throw new NotFoundError(NO_CATEGORY);
        if (moveTo !== undefined) {
          const tree = new CategoryTree(await this.deps.categories.all(trx));
          if (moveTo === id || !tree.get(moveTo)) {
            throw ValidationError.field('move_to', 'Choose another existing category to receive the products.');
          }
          // Its subcategories would end up under one of themselves.
          if (tree.wouldCycle(id, moveTo)) throw ValidationError.field('move_to', 'The receiving category cannot be one of its subcategories.');
          await this.deps.categories.moveContents(id, moveTo, trx);
        }
        const [products, children] = [await this.deps.categories.productCount(id, trx), await this.deps.categories.childCount(id, trx)];
        if (products > 0 || children > 0) {
          throw categoryNotEmpty(products, children);
        }
        await this.deps.categories.delete(id, trx);
        await this.deps.audit.record(trx, actor, { action: 'category.deleted', resourceType: 'category', resourceId: id, before: audited(before), ...(moveTo === undefined ? {} : { after: { contents_moved_to: moveTo } }) });
      });
    } catch (error) {
      // A product added to the category after the check above: the foreign key refused the delete.
      if (error instanceof ForeignKeyViolationError || (error as { code?: string }).code === '23503') {
        throw new ConflictError('This category still has products; move them first.', 'category_not_empty');
      }
      throw error;
    }
    await this.deps.cache.invalidate();
  }
}
