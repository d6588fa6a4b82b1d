import type { Knex } from 'knex';
import { DuplicateCategoryError } from './categories-repository';
import { slugCandidates } from './slugs';

function isSlugConflict(error: unknown): boolean {
  // The category repository translates unique violations itself; a taken slug must still be retried.
  if (error instanceof DuplicateCategoryError) return error.field === 'slug';
  const { code, constraint, nativeError } = error as { code?: string; constraint?: string; nativeError?: { code?: string; constraint?: string } };
  const pgCode = code ?? nativeError?.code;
  const name = constraint ?? nativeError?.constraint ?? '';
  return (pgCode === '23505' || (error as Error).name === 'UniqueViolationError') && name.includes('slug');
}

/** The first free `base`, `base-2`, … judged from one query over the existing slugs of that family. */
async function firstFree(trx: Knex.Transaction, table: 'products' | 'categories', base: string, fallback: string): Promise<string> {
  const root = base || fallback;
  const taken = new Set<string>(
    await trx(table)
      .where('slug', root)
      .orWhere('slug', 'like', `${root.replace(/[\\%_]/g, (char) => `\\${char}`)}-%`)
      .pluck('slug'),
  );
  for (const candidate of slugCandidates(base, fallback)) if (!taken.has(candidate)) return candidate;
  throw new Error('unreachable');
}

/**
 * Inserts a row under a generated slug, de-duplicated (`shirt`, `shirt-2`, …). Two concurrent inserts may
 * pick the same candidate; the unique index refuses one of them, which then retries with the next free slug
 * inside a savepoint, so both succeed with distinct slugs.
 */
export async function insertWithFreeSlug<T>(
  trx: Knex.Transaction,
  table: 'products' | 'categories',
  base: string,
  fallback: string,
  insert: (slug: string, savepoint: Knex.Transaction) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const slug = await firstFree(trx, table, base, fallback);
    try {
      return await trx.transaction((savepoint) => insert(slug, savepoint));
    } catch (error) {
      if (!isSlugConflict(error) || attempt >= 10) throw error;
    }
  }
}

export { isSlugConflict };
