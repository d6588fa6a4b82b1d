import { seedDemoData, TooManyReviewsError } from '../../../db/seeds';
import { seedDemoReviews } from '../../../db/seeds/demo/reviews';
import type { Knex } from '../../../db/connection';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { ratingMismatches } from '../../support/ratings';

const USERS = 40;
const PRODUCTS = 300;
const SEED = 5;
const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;

/** What a seed determines, independent of ids: each review by its author's e-mail and its product's slug. */
function reviews(db: Knex): Promise<Record<string, unknown>[]> {
  return db('reviews as r')
    .join('users as u', 'u.id', 'r.user_id')
    .join('products as p', 'p.id', 'r.product_id')
    .orderBy(['u.email', 'p.slug'])
    .select('u.email', 'p.slug', 'r.rating', 'r.comment');
}

async function countRows(db: Knex, table: string): Promise<number> {
  const [row] = await db(table).count<{ count: string }[]>('* as count');
  return Number(row?.count);
}

async function activeProducts(db: Knex): Promise<number> {
  const [row] = await db('products').where({ is_active: true }).count<{ count: string }[]>('* as count');
  return Number(row?.count);
}

describe('seedDemoReviews', () => {
  const databases: TestDatabase[] = [];
  async function freshDatabase(): Promise<TestDatabase> {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  }
  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  let main: TestDatabase;
  let outsiders: number[];
  const progress: number[] = [];
  let first: { reviews: number };
  const started = Date.now();
  beforeAll(async () => {
    main = await freshDatabase();
    await seedDemoData(main.db, { users: USERS, products: PRODUCTS, seed: SEED, passwordHash: 'not-a-hash' });
    // Neither staff (even in the demo domain) nor accounts outside it are demo customers.
    outsiders = (
      await main.db('users')
        .insert([
          { email: 'admin@demo.nexus.test', username: 'admin', password_hash: 'x', is_staff: true },
          { email: 'real.person@example.com', username: 'real', password_hash: 'x' },
        ])
        .returning('id')
    ).map((row: { id: number }) => row.id);
    first = await seedDemoReviews(main.db, [SEED, 2], { reviews: 2_345, batchSize: 500, onProgress: (done) => progress.push(done) });
  });

  it('When run with small batches, then every review is written once and progress climbs to the total', async () => {
    expect(first).toEqual({ reviews: 2_345 });
    expect(progress).toEqual([500, 1_000, 1_500, 2_000, 2_345]);
    expect(await countRows(main.db, 'reviews')).toBe(2_345);
  });

  it("Then every product's reviews_count, rating_counts and average_rating equal a recount of its reviews", async () => {
    expect(await ratingMismatches(main.db)).toEqual([]);
    const [row] = await main.db('products').sum<{ sum: string }[]>('reviews_count as sum');
    expect(Number(row?.sum)).toBe(2_345);
  });

  it('Then only demo customers write reviews, only of active products', async () => {
    const authors = (await main.db('reviews').distinct('user_id').pluck('user_id')) as number[];
    expect(authors.filter((id) => outsiders.includes(id))).toEqual([]);
    expect(authors.length).toBe(USERS);
    const inactive = await main.db('reviews as r').join('products as p', 'p.id', 'r.product_id').where('p.is_active', false).count<{ count: string }[]>('* as count');
    expect(Number(inactive[0]?.count)).toBe(0);
  });

  it('Then the data looks like reviews: mostly 4–5 stars, some without text, dated after the product within two years, a few bestsellers', async () => {
    const shape: Record<string, number> = await main.db('reviews as r')
      .join('products as p', 'p.id', 'r.product_id')
      .first(
        main.db.raw('avg((r.rating >= 4)::int)::float AS high'),
        main.db.raw('avg((r.rating = 1)::int)::float AS one_star'),
        main.db.raw("avg((r.comment = '')::int)::float AS empty"),
        main.db.raw('count(*) FILTER (WHERE r.created_at < p.created_at)::int AS before_product'),
        main.db.raw('count(*) FILTER (WHERE r.updated_at < r.created_at)::int AS updated_before_created'),
        main.db.raw('(extract(epoch FROM min(r.created_at)) * 1000)::float8 AS oldest'),
        main.db.raw('(extract(epoch FROM max(r.updated_at)) * 1000)::float8 AS newest'),
      );
    expect(shape.high).toBeGreaterThan(0.6);
    expect(shape.high).toBeLessThan(0.85);
    expect(shape.one_star).toBeGreaterThan(0.01);
    expect(shape.one_star).toBeLessThan(0.12);
    expect(shape.empty).toBeGreaterThan(0.1);
    expect(shape.empty).toBeLessThan(0.3);
    expect(shape.before_product).toBe(0);
    expect(shape.updated_before_created).toBe(0);
    expect(shape.oldest).toBeGreaterThanOrEqual(started - TWO_YEARS_MS);
    expect(shape.newest).toBeLessThanOrEqual(Date.now());
    const spread: { max: number; avg: number; none: number } = await main.db('products')
      .where({ is_active: true })
      .first(main.db.raw('max(reviews_count)::int AS max'), main.db.raw('avg(reviews_count)::float AS avg'), main.db.raw('count(*) FILTER (WHERE reviews_count = 0)::int AS none'));
    expect(spread.max).toBeGreaterThan(3 * spread.avg);
    expect(spread.none).toBeGreaterThan(0);
  });

  it('When the same seed runs again, then nothing is added; asking for more adds exactly the difference to the same reviews', async () => {
    const before = await reviews(main.db);
    expect(await seedDemoReviews(main.db, [SEED, 2], { reviews: 2_345 })).toEqual({ reviews: 0 });
    expect(await reviews(main.db)).toEqual(before);

    expect(await seedDemoReviews(main.db, [SEED, 2], { reviews: 3_000 })).toEqual({ reviews: 655 });
    const after = await reviews(main.db);
    const key = (row: Record<string, unknown>) => `${String(row.email)} ${String(row.slug)}`;
    const kept = new Map(after.map((row) => [key(row), row]));
    expect(before.filter((row) => JSON.stringify(kept.get(key(row))) !== JSON.stringify(row))).toEqual([]);
    expect(await ratingMismatches(main.db)).toEqual([]);
  });

  it('When two databases are seeded alike, then they hold the same reviews; another seed gives others; users and products stay those of the seed', async () => {
    const [one, two, other] = await Promise.all([freshDatabase(), freshDatabase(), freshDatabase()]);
    const options = { users: USERS, products: PRODUCTS, passwordHash: 'not-a-hash', seed: SEED };
    await Promise.all([seedDemoData(one.db, { ...options, reviews: 1_500 }), seedDemoData(two.db, { ...options, reviews: 1_500 }), seedDemoData(other.db, options)]);
    const expected = await reviews(one.db);
    expect(expected).toHaveLength(1_500);
    expect(await reviews(two.db)).toEqual(expected);
    // The same customers and products, reviewed with another seed's stream.
    await seedDemoReviews(other.db, [SEED + 1, 2], { reviews: 1_500 });
    const reviewed = new Set(expected.map((row) => `${String(row.email)} ${String(row.slug)}`));
    const otherRows = await reviews(other.db);
    expect(otherRows).toHaveLength(1_500);
    expect(otherRows.filter((row) => reviewed.has(`${String(row.email)} ${String(row.slug)}`)).length).toBeLessThan(500);

    // The reviews have their own Faker stream: the users and products of seed 5 are those seeded without reviews.
    const people = (db: Knex) => db('users').where('email', 'like', '%.%@demo.nexus.test').orderBy('id').pluck('email');
    const catalogue = (db: Knex) => db('products').orderBy('id').select('slug', db.raw('price::text AS price'), 'is_active');
    expect(await people(one.db)).toEqual(await people(main.db));
    expect(await catalogue(one.db)).toEqual(await catalogue(main.db));
  });

  it('When every (customer, product) pair is asked for, then each customer reviews each active product once', async () => {
    const database = await freshDatabase();
    await seedDemoData(database.db, { users: 4, products: 15, seed: 9, passwordHash: 'not-a-hash' });
    const active = await activeProducts(database.db);
    expect(await seedDemoReviews(database.db, [9, 2], { reviews: 4 * active })).toEqual({ reviews: 4 * active });
    const counts = (await database.db('products').where({ is_active: true }).pluck('reviews_count')) as number[];
    expect(new Set(counts)).toEqual(new Set([4]));
    expect(await ratingMismatches(database.db)).toEqual([]);
  });

  it('When more reviews are asked for than customers × active products, then it refuses, before writing anything when it can tell', async () => {
    const active = await activeProducts(main.db);
    const reviewsBefore = await countRows(main.db, 'reviews');
    const refused = seedDemoReviews(main.db, [SEED, 2], { reviews: USERS * active + 1 });
    await expect(refused).rejects.toBeInstanceOf(TooManyReviewsError);
    await expect(refused).rejects.toThrow(`${USERS} demo customers × ${active} active products allow at most ${(USERS * active).toLocaleString('en-US')}`);
    expect(await countRows(main.db, 'reviews')).toBe(reviewsBefore);

    const empty = await freshDatabase();
    await expect(seedDemoData(empty.db, { users: 3, products: 10, reviews: 31, seed: 1, passwordHash: 'not-a-hash' })).rejects.toThrow(
      'Cannot add 31 reviews: each customer reviews a product at most once, and 3 demo customers × 10 active products allow at most 30.',
    );
    expect(await countRows(empty.db, 'users')).toBe(0);
    expect(await countRows(empty.db, 'products')).toBe(0);
  });
});
