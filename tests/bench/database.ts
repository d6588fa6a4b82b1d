import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { hashPassword } from '../../api/modules/users';
import { startEmbeddedPostgres } from '../../cli/services/embedded-postgres';
import { createDatabase, type Knex } from '../../db/connection';
import { readMeta, writeMeta } from '../../db/meta';
import { migrateLatest } from '../../db/migrator';
import { seedDemoData, type DemoSeedResult } from '../../db/seeds';
import { freePort } from '../support/components';
import { adminQuery, withDatabase } from '../support/database';
import { assertLoopback, type Cleanup } from './processes';

const ROOT = join(__dirname, '..', '..');

export interface Postgres {
  /** URL of the `postgres` maintenance database. */
  adminUrl: string;
  source: 'DATABASE_URL' | 'embedded';
  /** Data directory of the embedded cluster (kept between runs so a seeded database is reused). */
  dataDir?: string;
}

/**
 * DATABASE_URL's server when set (loopback only), otherwise an embedded PostgreSQL whose cluster is kept in
 * BENCH_PG_DIR (default: <tmpdir>/nexus-bench-pg), so the seeded bench database survives between runs.
 */
export async function startPostgres(cleanup: Cleanup): Promise<Postgres> {
  if (process.env.DATABASE_URL) {
    assertLoopback(process.env.DATABASE_URL, 'DATABASE_URL');
    return { adminUrl: withDatabase(process.env.DATABASE_URL, 'postgres'), source: 'DATABASE_URL' };
  }
  const dir = process.env.BENCH_PG_DIR ?? join(tmpdir(), 'nexus-bench-pg');
  mkdirSync(dir, { recursive: true });
  // As root, embedded-postgres runs the server as `postgres`, which must be able to enter this directory.
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  const cluster = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: true, ownSignals: true }).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.includes('postmaster.pid')) throw error;
    throw new Error(`${message}\nAnother benchmark is probably running on ${dataDir}: wait for it, or set BENCH_PG_DIR to another directory.`);
  });
  cleanup.add('embedded PostgreSQL', () => cluster.stop());
  return { adminUrl: cluster.url('postgres'), source: 'embedded', dataDir };
}

export interface SeedSettings {
  products: number;
  seed: number;
  users: number;
  reviews: number;
  /** Drop and re-seed even when a matching database exists. */
  fresh: boolean;
}

export interface BenchDatabase {
  name: string;
  url: string;
  reused: boolean;
  /** Wall time of seedDemoData when this run seeded, else null. */
  seedSeconds: number | null;
  /** VACUUM ANALYZE after seeding (planner statistics as a long-running database would have them). */
  analyzeSeconds: number | null;
  inserted: DemoSeedResult | null;
  counts: { products: number; activeProducts: number; categories: number; users: number; reviews: number };
  serverVersion: string;
  settings: Record<string, string>;
  sizeBytes: number;
}

const MARK_KEY = 'bench_seed';

interface SeedMark {
  products: number;
  seed: number;
  users: number;
  /** Absent in marks written before reviews were seeded: such a database is seeded again. */
  reviews?: number;
  /** Hash of the seeder and migration sources: data from an older seeder is not reused. */
  fingerprint: string;
  seededAt?: string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Same seeder code and migrations → same data for the same size and seed. */
export function dataFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(join(ROOT, 'db', 'seeds')), ...filesUnder(join(ROOT, 'db', 'migrations'))].sort()) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  return adminQuery(async (client) => ((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0, adminUrl);
}

async function readMark(url: string): Promise<SeedMark | undefined> {
  const db = createDatabase({ url, applicationName: 'nexus-bench' });
  try {
    const raw = await readMeta(db, MARK_KEY);
    return raw ? (JSON.parse(raw) as SeedMark) : undefined;
  } catch {
    return undefined;
  } finally {
    await db.destroy();
  }
}

/**
 * The bench database `nexus_bench_<products>_<seed>`: reused when the mark written after a completed seeding
 * matches (size, seed, users, reviews and the seeder/migrations fingerprint); otherwise dropped, created,
 * migrated and seeded with seedDemoData, then VACUUM ANALYZEd and marked.
 */
export async function prepareDatabase(pg: Postgres, settings: SeedSettings, log: (line: string) => void): Promise<BenchDatabase> {
  const name = `nexus_bench_${settings.products}_${settings.seed}`;
  const url = withDatabase(pg.adminUrl, name);
  const wanted: SeedMark = { products: settings.products, seed: settings.seed, users: settings.users, reviews: settings.reviews, fingerprint: dataFingerprint() };
  let reused = false;
  if (await databaseExists(pg.adminUrl, name)) {
    const mark = await readMark(url);
    const matches =
      mark &&
      mark.products === wanted.products &&
      mark.seed === wanted.seed &&
      mark.users === wanted.users &&
      mark.reviews === wanted.reviews &&
      mark.fingerprint === wanted.fingerprint;
    if (matches && !settings.fresh) {
      reused = true;
      log(`reusing database ${name} (seeded ${mark.seededAt ?? 'earlier'}, fingerprint ${mark.fingerprint})`);
    } else {
      const why = settings.fresh ? '--fresh' : mark ? `it was seeded differently (${JSON.stringify(mark)})` : 'its seeding never completed';
      log(`dropping database ${name}: ${why}`);
      await adminQuery((client) => client.query(`DROP DATABASE ${client.escapeIdentifier(name)} WITH (FORCE)`), pg.adminUrl);
    }
  }
  if (!reused) await adminQuery((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`), pg.adminUrl);

  const db = createDatabase({ url, applicationName: 'nexus-bench' });
  try {
    const applied = await migrateLatest(db);
    if (applied.length > 0) log(`applied ${applied.length} migration(s)`);
    let seedSeconds: number | null = null;
    let analyzeSeconds: number | null = null;
    let inserted: DemoSeedResult | null = null;
    if (!reused) {
      log(`seeding ${settings.products.toLocaleString('en-US')} products, ${settings.users} users, ${settings.reviews.toLocaleString('en-US')} reviews (seed ${settings.seed}) …`);
      const passwordHash = await hashPassword(randomBytes(18).toString('base64url'));
      let lastReport = 0;
      const started = performance.now();
      inserted = await seedDemoData(db, {
        users: settings.users,
        products: settings.products,
        reviews: settings.reviews,
        seed: settings.seed,
        passwordHash,
        onProgress: (stage, done, total) => {
          if (stage === 'users' || performance.now() - lastReport < 5_000) return;
          lastReport = performance.now();
          log(`  ${stage} ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
        },
      });
      seedSeconds = (performance.now() - started) / 1000;
      log(`seeded in ${seedSeconds.toFixed(1)} s: ${JSON.stringify(inserted)}`);
      const analyzeStarted = performance.now();
      await db.raw('VACUUM ANALYZE');
      analyzeSeconds = (performance.now() - analyzeStarted) / 1000;
      await writeMeta(db, MARK_KEY, JSON.stringify({ ...wanted, seededAt: new Date().toISOString() }));
    }
    return { name, url, reused, seedSeconds, analyzeSeconds, inserted, ...(await describeDatabase(db, name)) };
  } finally {
    await db.destroy();
  }
}

async function describeDatabase(db: Knex, name: string): Promise<Pick<BenchDatabase, 'counts' | 'serverVersion' | 'settings' | 'sizeBytes'>> {
  const [counts] = (
    await db.raw<{ rows: { products: number; active: number; categories: number; users: number; reviews: number }[] }>(
      `SELECT (SELECT count(*) FROM products) AS products, (SELECT count(*) FROM products WHERE is_active) AS active,
              (SELECT count(*) FROM categories) AS categories, (SELECT count(*) FROM users) AS users,
              (SELECT count(*) FROM reviews) AS reviews`,
    )
  ).rows;
  const version = (await db.raw<{ rows: { server_version: string }[] }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown';
  const names = ['shared_buffers', 'work_mem', 'effective_cache_size', 'max_connections', 'fsync', 'synchronous_commit', 'jit'];
  const { rows } = await db.raw<{ rows: { name: string; setting: string; unit: string | null }[] }>(
    'SELECT name, setting, unit FROM pg_settings WHERE name = ANY(?) ORDER BY name',
    [names],
  );
  const size = (await db.raw<{ rows: { size: number }[] }>('SELECT pg_database_size(?) AS size', [name])).rows[0]?.size ?? 0;
  return {
    counts: {
      products: counts?.products ?? 0,
      activeProducts: counts?.active ?? 0,
      categories: counts?.categories ?? 0,
      users: counts?.users ?? 0,
      reviews: counts?.reviews ?? 0,
    },
    serverVersion: version,
    settings: Object.fromEntries(rows.map((row) => [row.name, row.unit ? `${row.setting} × ${row.unit}` : row.setting])),
    sizeBytes: Number(size),
  };
}

/** Values the endpoint table is built from, all taken from the seeded data. */
export interface BenchData {
  /** A department (top-level category): the one with the most active products in it and its subcategories. */
  department: { slug: string; products: number };
  /**
   * The active product with the most visible reviews (the lowest id among equals), so that its review list and
   * stats have something to show: the page of a bestseller, the one most read in a real shop.
   */
  product: { id: number; slug: string; reviews: number; averageRating: string };
  /** The word that occurs in the most active product titles, and in how many. */
  searchWord: { word: string; titles: number };
}

export async function discoverData(url: string): Promise<BenchData> {
  const db = createDatabase({ url, applicationName: 'nexus-bench' });
  try {
    const { rows: departments } = await db.raw<{ rows: { slug: string; products_count: number }[] }>(
      `SELECT d.slug, d.products_count + coalesce(sum(c.products_count), 0)::int AS products_count
         FROM categories d LEFT JOIN categories c ON c.parent_id = d.id
        WHERE d.parent_id IS NULL GROUP BY d.id ORDER BY 2 DESC, d.id LIMIT 1`,
    );
    const department = departments[0];
    if (!department) throw new Error('the bench database has no categories: did seeding fail?');
    // reviews_count counts the visible reviews (kept exact by the schema's triggers): no aggregation needed here.
    const { rows: products } = await db.raw<{ rows: { id: number; slug: string; reviews_count: number; average_rating: string }[] }>(
      'SELECT id, slug, reviews_count, average_rating::text FROM products WHERE is_active ORDER BY reviews_count DESC, id LIMIT 1',
    );
    const product = products[0];
    if (!product) throw new Error('the bench database has no active products');
    // ts_stat counts documents per lexeme; 'simple' keeps the words as typed, so the word is a real title word.
    const { rows } = await db.raw<{ rows: { word: string; ndoc: number }[] }>(
      `SELECT word, ndoc FROM ts_stat($$SELECT to_tsvector('simple', title) FROM products WHERE is_active$$)
        WHERE length(word) >= 4 AND word ~ '^[a-z]+$' ORDER BY ndoc DESC, word LIMIT 1`,
    );
    const word = rows[0];
    if (!word) throw new Error('no searchable word found in the product titles');
    return {
      department: { slug: department.slug, products: Number(department.products_count) },
      product: { id: Number(product.id), slug: product.slug, reviews: Number(product.reviews_count), averageRating: product.average_rating },
      searchWord: { word: word.word, titles: Number(word.ndoc) },
    };
  } finally {
    await db.destroy();
  }
}
