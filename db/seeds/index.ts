import { Faker, en } from '@faker-js/faker';
import type { Knex } from 'knex';
import { seedDemoCatalog } from './demo/catalog';
import { assertReviewsPossible, countReviewCandidates, seedDemoReviews } from './demo/reviews';
import { seedDemoUsers } from './demo/users';

export { TooManyReviewsError } from './demo/reviews';

export type DemoSeedStage = 'users' | 'products' | 'reviews';

export interface DemoSeedOptions {
  users: number;
  /** Departments of the category tree (1–8, each with its subcategories). Default: all eight. */
  categories?: number;
  /** Products spread over the leaf categories. Default: none (and then no categories either). */
  products?: number;
  /**
   * Reviews by the demo customers of the active products (at most one per customer and product; see
   * seedDemoReviews). Default: none.
   */
  reviews?: number;
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
  reviews: number;
}

/** Faker stream of the catalogue, apart from the users' so that --users does not change the products of a seed. */
const CATALOG_STREAM = 1;
/** Faker stream of the reviews, so that --reviews changes neither the users nor the products of a seed. */
const REVIEWS_STREAM = 2;

/**
 * Realistic demo data for development and demos; callers must refuse it against production.
 *
 * Users and their addresses are written in one transaction (they are few and belong together). The catalogue
 * is not: its categories are one transaction and each products batch commits on its own (see seedDemoCatalog),
 * because a single transaction around 100k products would hold the category-counter row locks for the whole
 * run while buying nothing: every batch is idempotent, so an interrupted run is finished by running it again.
 * Reviews come last, written by the same kind of batches (see seedDemoReviews).
 * @throws TooManyReviewsError, before anything is written, when even every customer and product asked for
 *   could not give `reviews` distinct pairs (and after the catalogue when its active products fall short)
 */
export async function seedDemoData(db: Knex, options: DemoSeedOptions): Promise<DemoSeedResult> {
  const reviews = options.reviews ?? 0;
  if (reviews > 0) {
    // An upper bound (rows asked for may exist already, a few products are inactive): refuse the impossible early.
    const present = await countReviewCandidates(db);
    assertReviewsPossible(reviews, { users: present.users + options.users, products: present.products + (options.products ?? 0) });
  }
  const faker = new Faker({ locale: [en], seed: options.seed });
  const users = await db.transaction((trx) =>
    seedDemoUsers(trx, faker, {
      count: options.users,
      passwordHash: options.passwordHash,
      onProgress: (done, total) => options.onProgress?.('users', done, total),
    }),
  );
  const products = options.products ?? 0;
  let catalog = { categories: 0, products: 0 };
  if (products > 0) {
    const catalogFaker = new Faker({ locale: [en] });
    catalogFaker.seed([options.seed, CATALOG_STREAM]);
    catalog = await seedDemoCatalog(db, catalogFaker, {
      categories: options.categories,
      products,
      onProgress: (done, total) => options.onProgress?.('products', done, total),
    });
  }
  const written = await seedDemoReviews(db, [options.seed, REVIEWS_STREAM], {
    reviews,
    onProgress: (done, total) => options.onProgress?.('reviews', done, total),
  });
  return { ...users, ...catalog, ...written };
}
