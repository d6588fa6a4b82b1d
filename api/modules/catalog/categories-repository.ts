import type { Knex } from 'knex';
import { raw, UniqueViolationError } from 'objection';
import { Category, type CategoryRow } from './model';

export type CategoryWrite = Partial<Pick<CategoryRow, 'name' | 'slug' | 'description' | 'parent_id'>>;

/** Which unique column a category write collided with. */
export class DuplicateCategoryError extends Error {
  constructor(readonly field: 'name' | 'slug') {
    super(`duplicate category ${field}`);
  }
}

function translate(error: unknown): never {
  if (error instanceof UniqueViolationError) {
    throw new DuplicateCategoryError((error.constraint ?? '').includes('name') ? 'name' : 'slug');
  }
  throw error;
}

/**
 * Category queries. The whole table is read at once where a tree is needed: a shop has tens or hundreds of
 * categories, never enough for that to matter, and it keeps subtree logic out of SQL.
 */
export class CategoryRepository {
  constructor(private readonly db: Knex) {}

  /** Plain rows (no model instances): public listings read the whole tree often. */
  async all(db: Knex | Knex.Transaction = this.db): Promise<CategoryRow[]> {
    return db('categories')
      .select<CategoryRow[]>('id', 'name', 'slug', 'description', 'parent_id', 'products_count', 'created_at', 'updated_at')
      .orderBy([{ column: 'name' }, { column: 'id' }]);
  }

  async find(where: { id: number } | { slug: string }, db: Knex | Knex.Transaction = this.db): Promise<CategoryRow | undefined> {
    return Category.query(db).findOne(where);
  }

  async slugTaken(slug: string, trx: Knex.Transaction): Promise<boolean> {
    return Boolean(await trx('categories').where({ slug }).first('id'));
  }

  /** @throws {DuplicateCategoryError} */
  async insert(row: CategoryWrite & Pick<CategoryRow, 'name' | 'slug'>, trx: Knex.Transaction): Promise<CategoryRow> {
    try {
      return await Category.query(trx).insert(row).returning('*');
    } catch (error) {
      return translate(error);
    }
  }

  /** @throws {DuplicateCategoryError} */
  async update(id: number, patch: CategoryWrite, trx: Knex.Transaction): Promise<CategoryRow | undefined> {
    try {
      const [row] = await Category.query(trx)
        .patch({ ...patch, updated_at: raw('now()') })
        .where({ id })
        .returning('*');
      return row;
    } catch (error) {
      return translate(error);
    }
  }

  /** Every product of the category, active or not: deleting must account for all of them. */
  async productCount(id: number, trx: Knex.Transaction): Promise<number> {
    const [row] = await trx('products').where({ category_id: id }).count<{ count: number }[]>({ count: '*' });
    return row?.count ?? 0;
  }

  async childCount(id: number, trx: Knex.Transaction): Promise<number> {
    const [row] = await trx('categories').where({ parent_id: id }).count<{ count: number }[]>({ count: '*' });
    return row?.count ?? 0;
  }

  async moveContents(from: number, to: number, trx: Knex.Transaction): Promise<void> {
    await trx('products').where({ category_id: from }).update({ category_id: to, updated_at: trx.fn.now() });
    await trx('categories').where({ parent_id: from }).update({ parent_id: to, updated_at: trx.fn.now() });
  }

  async delete(id: number, trx: Knex.Transaction): Promise<boolean> {
    return (await trx('categories').where({ id }).delete()) === 1;
  }

  /** Locks the rows so counts and moves see a stable picture while a category is deleted. */
  async lock(ids: number[], trx: Knex.Transaction): Promise<void> {
    await trx('categories').whereIn('id', ids).forUpdate().select('id');
  }
}
