import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from '../../../db/connection';
import type { SeedResult } from '../../../cli/commands/db/seed';
import { freePort } from '../../support/components';
import { runNexus, startNexus } from '../../support/cli';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const ALL_CATEGORIES = 42; // 8 departments + 34 subcategories
const RESERVED = ['search', 'featured', 'latest'];

async function seed(database: TestDatabase, args: string[], timeoutMs?: number): Promise<SeedResult> {
  const result = await runNexus(['db', 'seed', '--users', '0', '--json', ...args], { env: { DATABASE_URL: database.url }, timeoutMs });
  if (result.code !== 0) throw new Error(`db seed failed (${result.code}): ${result.stdout}\n${result.stderr}`);
  return result.json<SeedResult>();
}

/** What a seed determines, independent of ids: products in insertion order with their category's slug. */
function catalogue(db: Knex): Promise<Record<string, unknown>[]> {
  return db('products as p')
    .join('categories as c', 'c.id', 'p.category_id')
    .orderBy('p.id')
    .select('p.title', 'p.slug', 'p.description', db.raw('p.price::text AS price'), 'p.stock_quantity', 'p.is_active', 'c.slug AS category');
}

async function countRows(db: Knex, table: string): Promise<number> {
  const [row] = await db(table).count<{ count: string }[]>('* as count');
  return Number(row?.count);
}

describe('nexus db seed: the catalogue', () => {
  const databases: TestDatabase[] = [];
  async function freshDatabase(): Promise<TestDatabase> {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  }
  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  let first: TestDatabase;
  let firstResult: SeedResult;
  beforeAll(async () => {
    first = await freshDatabase();
    firstResult = await seed(first, ['--products', '300', '--seed', '11']);
  });

  it('When --json is given, then one document reports the rows inserted per table, the seed and the elapsed time', () => {
    expect(firstResult).toEqual({
      seed: 11,
      users: 0,
      addresses: 0,
      categories: ALL_CATEGORIES,
      products: 300,
      reviews: 0,
      elapsedSeconds: expect.any(Number) as number,
      // No customer and no account was created, so no password is reported.
      accounts: [],
    });
    expect(firstResult.elapsedSeconds).toBeGreaterThan(0);
  });

  it('When two fresh databases are seeded with the same seed, then they hold the same catalogue; another seed gives another', async () => {
    const second = await freshDatabase();
    await seed(second, ['--products', '300', '--seed', '11']);
    const expected = await catalogue(first.db);
    expect(expected).toHaveLength(300);
    expect(await catalogue(second.db)).toEqual(expected);

    const other = await freshDatabase();
    await seed(other, ['--products', '300', '--seed', '12']);
    const titles = new Set(expected.map((row) => row.title));
    const otherTitles = (await catalogue(other.db)).map((row) => row.title);
    expect(otherTitles.filter((title) => titles.has(title)).length).toBeLessThan(30);
  });

  it('When the same seed runs again, then nothing is added; asking for more extends the same sequence', async () => {
    const before = await catalogue(first.db);
    const again = await seed(first, ['--products', '300', '--seed', '11']);
    expect(again).toMatchObject({ categories: 0, products: 0 });
    expect(await countRows(first.db, 'categories')).toBe(ALL_CATEGORIES);
    expect(await catalogue(first.db)).toEqual(before);

    const more = await seed(first, ['--products', '500', '--seed', '11']);
    expect(more).toMatchObject({ categories: 0, products: 200 });
    expect((await catalogue(first.db)).slice(0, 300)).toEqual(before);
  });

  it('When a different seed runs into a seeded database, then the tree is reused and its products are added', async () => {
    const before = await countRows(first.db, 'products');
    const other = await seed(first, ['--products', '100', '--seed', '99']);
    expect(other.categories).toBe(0);
    expect(other.products).toBeGreaterThan(90); // only a slug already taken by seed 11 is skipped
    expect(await countRows(first.db, 'products')).toBe(before + other.products);
  });

  it('When --categories 2 is given, then only two departments and their subcategories exist', async () => {
    const database = await freshDatabase();
    const result = await seed(database, ['--products', '50', '--categories', '2', '--seed', '3']);
    const departments = (await database.db('categories').whereNull('parent_id').orderBy('id').pluck('name')) as string[];
    expect(departments).toEqual(['Electronics', 'Clothing']);
    expect(result.categories).toBe(await countRows(database.db, 'categories'));
    expect(result.categories).toBeLessThan(ALL_CATEGORIES);
  });

  it('When --products 0 is given, then no catalogue is created', async () => {
    const database = await freshDatabase();
    expect(await seed(database, ['--products', '0', '--seed', '3'])).toMatchObject({ categories: 0, products: 0 });
    expect(await countRows(database.db, 'categories')).toBe(0);
  });

  it('When --categories is out of range, then it is a usage error', async () => {
    const result = await runNexus(['db', 'seed', '--categories', '9', '--json'], { env: { DATABASE_URL: first.url } });
    expect(result.code).toBe(2);
  });

  it('When run without --json, then stdout has a summary per table and progress stays on stderr', async () => {
    const database = await freshDatabase();
    const result = await runNexus(['db', 'seed', '--users', '2', '--products', '20', '--reviews', '0', '--seed', '8'], { env: { DATABASE_URL: database.url } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/seed 8/);
    expect(result.stdout).toMatch(/^ {2}products +20$/m);
    expect(result.stdout).toMatch(/^ {2}categories +42$/m);
    expect(result.stdout).toMatch(/^ {2}users +2$/m);
    expect(result.stderr).toContain('Seed 2 users and 20 products (seed 8)');
    expect(result.stdout).not.toContain('→');
  });

  describe('at a moderate size (20,000 products)', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await freshDatabase();
      // Not timed: a sanity check that a real batch size works end to end. The measured figure is in docs/cli.md.
      const result = await seed(database, ['--products', '20000', '--seed', '2024'], 180_000);
      expect(result.products).toBe(20_000);
    }, 200_000);

    it('Then every category counts exactly its active products, and only leaf categories hold products', async () => {
      const mismatches = await database.db.raw<{ rows: unknown[] }>(`
        SELECT c.id, c.products_count, count(p.id) FILTER (WHERE p.is_active) AS real
          FROM categories c LEFT JOIN products p ON p.category_id = c.id
         GROUP BY c.id HAVING c.products_count <> count(p.id) FILTER (WHERE p.is_active)`);
      expect(mismatches.rows).toEqual([]);
      const inDepartments = await database.db('products as p').join('categories as c', 'c.id', 'p.category_id').whereNull('c.parent_id').count<{ count: string }[]>('* as count');
      expect(Number(inDepartments[0]?.count)).toBe(0);
    });

    it('Then prices are positive, slugs unique and well-formed, never digit-only nor reserved', async () => {
      const stats: { min_price: number; slugs: number; total: number; bad_slugs: number; reserved: number } = await database.db('products')
        .first(
          database.db.raw('min(price)::float AS min_price'),
          database.db.raw('count(DISTINCT slug)::int AS slugs'),
          database.db.raw('count(*)::int AS total'),
          database.db.raw("count(*) FILTER (WHERE slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$' OR slug ~ '^[0-9]+$' OR length(slug) > 255)::int AS bad_slugs"),
          database.db.raw('count(*) FILTER (WHERE slug = ANY(?))::int AS reserved', [RESERVED]),
        );
      expect(stats.min_price).toBeGreaterThan(0);
      expect(stats.slugs).toBe(stats.total);
      expect(stats.bad_slugs).toBe(0);
      expect(stats.reserved).toBe(0);
    });

    it('Then the data looks like a shop: a few inactive and out-of-stock products, mostly modest prices, two years of dates', async () => {
      const shape: Record<string, number> = await database.db('products').first(
        database.db.raw('avg((NOT is_active)::int)::float AS inactive'),
        database.db.raw('avg((stock_quantity = 0)::int)::float AS out_of_stock'),
        database.db.raw('avg((price BETWEEN 5 AND 100)::int)::float AS modest'),
        database.db.raw('count(*) FILTER (WHERE price > 500)::int AS expensive'),
        database.db.raw("extract(epoch FROM max(created_at) - min(created_at))::float / 86400 AS days"),
        database.db.raw('count(DISTINCT title)::float / count(*) AS distinct_titles'),
        database.db.raw('count(*) FILTER (WHERE updated_at < created_at)::int AS updated_before_created'),
      );
      expect(shape.inactive).toBeGreaterThan(0.01);
      expect(shape.inactive).toBeLessThan(0.06);
      expect(shape.out_of_stock).toBeGreaterThan(0.02);
      expect(shape.out_of_stock).toBeLessThan(0.15);
      expect(shape.modest).toBeGreaterThan(0.6);
      expect(shape.expensive).toBeGreaterThan(0);
      expect(shape.days).toBeGreaterThan(600);
      expect(shape.days).toBeLessThanOrEqual(731);
      expect(shape.distinct_titles).toBeGreaterThan(0.9);
      expect(shape.updated_before_created).toBe(0);
    });
  });
});

describe('nexus dev: the demo catalogue', () => {
  let database: TestDatabase;
  let workdir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    workdir = mkdtempSync(join(tmpdir(), 'nexus-dev-catalog-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(workdir, { recursive: true, force: true });
    await database.drop();
  });

  it('When started on a fresh database with --products, then the catalogue is seeded once, with three reviews per customer', async () => {
    const port = await freePort();
    const dev = await startNexus(
      ['dev', '--port', String(port), '--users', '1', '--products', '40', '--json', '--log-level', 'warn'],
      (stdout) => stdout.includes('"status": "ready"') && stdout.trim().endsWith('}'),
      { cwd: workdir, env: { DATABASE_URL: database.url } },
    );
    child = dev.child;
    expect(await countRows(database.db, 'products')).toBe(40);
    expect(await countRows(database.db, 'categories')).toBe(ALL_CATEGORIES);
    expect(await countRows(database.db, 'reviews')).toBe(3);
    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(0);
  });
});
