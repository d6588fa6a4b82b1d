import type { Knex } from '../../../db/connection';
import type { SeedResult } from '../../../cli/commands/db/seed';
import { runNexus } from '../../support/cli';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { ratingMismatches } from '../../support/ratings';

async function seed(database: TestDatabase, args: string[], timeoutMs?: number): Promise<SeedResult> {
  const result = await runNexus(['db', 'seed', '--json', ...args], { env: { DATABASE_URL: database.url }, timeoutMs });
  if (result.code !== 0) throw new Error(`db seed failed (${result.code}): ${result.stdout}\n${result.stderr}`);
  return result.json<SeedResult>();
}

async function countRows(db: Knex, table: string): Promise<number> {
  const [row] = await db(table).count<{ count: string }[]>('* as count');
  return Number(row?.count);
}

/** What a seed determines, independent of ids. */
function reviews(db: Knex): Promise<Record<string, unknown>[]> {
  return db('reviews as r')
    .join('users as u', 'u.id', 'r.user_id')
    .join('products as p', 'p.id', 'r.product_id')
    .orderBy(['u.email', 'p.slug'])
    .select('u.email', 'p.slug', 'r.rating', 'r.comment');
}

describe('nexus db seed: reviews', () => {
  const databases: TestDatabase[] = [];
  async function freshDatabase(): Promise<TestDatabase> {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  }
  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  const args = ['--users', '200', '--products', '2000', '--reviews', '20000', '--seed', '21'];
  let first: TestDatabase;
  let firstResult: SeedResult;
  beforeAll(async () => {
    first = await freshDatabase();
    // Four batches of 5,000: the real batch size, so a product's reviews can straddle two statements.
    firstResult = await seed(first, args, 120_000);
  }, 150_000);

  it('When --reviews is given, then --json reports the reviews written beside the other tables', () => {
    expect(firstResult).toEqual({
      seed: 21,
      users: 200,
      addresses: expect.any(Number) as number,
      categories: 42,
      products: 2000,
      reviews: 20_000,
      elapsedSeconds: expect.any(Number) as number,
      accounts: [],
      demoPassword: expect.any(String) as string,
    });
  });

  it("Then every product's reviews_count, rating_counts and average_rating equal a recount of its reviews", async () => {
    expect(await countRows(first.db, 'reviews')).toBe(20_000);
    expect(await ratingMismatches(first.db)).toEqual([]);
  });

  it('When the same command runs again, then nothing is added and the ratings still match', async () => {
    const before = await reviews(first.db);
    expect(await seed(first, args, 120_000)).toMatchObject({ users: 0, products: 0, reviews: 0 });
    expect(await reviews(first.db)).toEqual(before);
    expect(await ratingMismatches(first.db)).toEqual([]);
  }, 150_000);

  it('When another database is seeded with the same seed, then it holds the same reviews', async () => {
    const second = await freshDatabase();
    await seed(second, ['--users', '200', '--products', '2000', '--reviews', '20000', '--seed', '21'], 120_000);
    expect(await reviews(second.db)).toEqual(await reviews(first.db));
  }, 150_000);

  it('When run without --json, then the step names the reviews and stdout has a reviews line', async () => {
    const database = await freshDatabase();
    const result = await runNexus(['db', 'seed', '--users', '5', '--products', '20', '--reviews', '30', '--seed', '8'], { env: { DATABASE_URL: database.url } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Seed 5 users, 20 products and 30 reviews (seed 8)');
    expect(result.stdout).toMatch(/^ {2}reviews +30$/m);
    expect(await ratingMismatches(database.db)).toEqual([]);
  });

  it('When --reviews exceeds demo customers × active products, then it is a usage error (exit 2) and nothing is written', async () => {
    const database = await freshDatabase();
    const result = await runNexus(['db', 'seed', '--users', '2', '--products', '5', '--reviews', '11', '--seed', '1', '--json'], { env: { DATABASE_URL: database.url } });
    expect(result.code).toBe(2);
    const { error } = result.json<{ error: { code: string; message: string; suggestions: string[] } }>();
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe('Cannot add 11 reviews: each customer reviews a product at most once, and 2 demo customers × 5 active products allow at most 10.');
    expect(error.suggestions.join(' ')).toContain('--reviews');
    expect(await countRows(database.db, 'users')).toBe(0);
    expect(await countRows(database.db, 'products')).toBe(0);

    const plain = await runNexus(['db', 'seed', '--users', '0', '--products', '0', '--reviews', '1'], { env: { DATABASE_URL: database.url } });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('Error (USAGE): Cannot add 1 review:');
  });

  it('When --reviews is negative, then it is a usage error', async () => {
    const result = await runNexus(['db', 'seed', '--reviews', '-1', '--json'], { env: { DATABASE_URL: first.url } });
    expect(result.code).toBe(2);
  });
});
