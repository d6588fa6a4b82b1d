import { Faker, en } from '@faker-js/faker';
import type { Knex } from 'knex';
import { seedDemoCatalog } from './demo/catalog';
import { seedDemoUsers } from './demo/users';

export type DemoSeedStage = 'users' | 'products';

export interface DemoSeedOptions {
  users: number;
  /** Departments of the category tree (1–8, each with its subcategories). Default: all eight. */
  categories?: number;
  /** Products spread over the leaf categories. Default: none (and then no categories either). */
  products?: number;
  /** Faker seed: the same number produces the same data. */
  seed: number;
  passwordHash: string;
  onProgress?: (stage: DemoSeedStage, done: number, total: number) => void;
}

/** Rows inserted by this run, per table (rows that already existed are not counted). */
export interface DemoSeedResult {
  users: number;
  addresses: number;
  categories: number;
  products: number;
}

/** Faker stream of the catalogue, apart from the users' so that --users does not change the products of a seed. */
const CATALOG_STREAM = 1;

/**
 * Realistic demo data for development and demos; callers must refuse it against production.
 *
 * Users and their addresses are written in one transaction (they are few and belong together). The catalogue
 * is not: its categories are one transaction and each products batch commits on its own (see seedDemoCatalog),
 * because a single transaction around 100k products would hold the category-counter row locks for the whole
 * run while buying nothing: every batch is idempotent, so an interrupted run is finished by running it again.
 */
export async function seedDemoData(db: Knex, options: DemoSeedOptions): Promise<DemoSeedResult> {
  const faker = new Faker({ locale: [en], seed: options.seed });
  const users = await db.transaction((trx) =>
    seedDemoUsers(trx, faker, {
      count: options.users,
      passwordHash: options.passwordHash,
      onProgress: (done, total) => options.onProgress?.('users', done, total),
    }),
  );
  const products = options.products ?? 0;
  if (products === 0) return { ...users, categories: 0, products: 0 };
  const catalogFaker = new Faker({ locale: [en] });
  catalogFaker.seed([options.seed, CATALOG_STREAM]);
  const catalog = await seedDemoCatalog(db, catalogFaker, {
    categories: options.categories,
    products,
    onProgress: (done, total) => options.onProgress?.('products', done, total),
  });
  return { ...users, ...catalog };
}
