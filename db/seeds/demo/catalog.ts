import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Faker } from '@faker-js/faker';
import type { Knex } from 'knex';
import { DEPARTMENTS, type Department, type LeafCategory, type PriceBand } from './catalog-tree';
import { RESERVED_PRODUCT_SLUGS, SlugRegistry } from './slug';

/**
 * Rows per INSERT. Each statement binds 9 arrays (one per column, expanded by unnest), not 9 values per row,
 * so PostgreSQL's 65,535 bind-parameter limit never applies; the size only trades round trips against memory.
 * 5,000 measured fastest (docs/cli.md, "Seeding").
 */
export const PRODUCT_BATCH_SIZE = 5_000;
const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;
const NINETY_DAYS_MS = 90 * 24 * 3600 * 1000;
const BRANDS_PER_DEPARTMENT = 25;

export interface DemoCatalogOptions {
  /** Departments to create: the first N of the eight in catalog-tree.ts (each with its subcategories). Default: all. */
  categories?: number;
  products: number;
  batchSize?: number;
  /** Called after each batch is written: products done so far and the total asked for. */
  onProgress?: (done: number, total: number) => void;
  /** created_at values are spread over the two years before this instant. Default: now. */
  now?: Date;
}

export interface DemoCatalogResult {
  /** Categories and products inserted by this call (existing ones are skipped). */
  categories: number;
  products: number;
}

interface Leaf {
  id: number;
  department: Department;
  category: LeafCategory;
  brands: string[];
}

interface CategoryRow {
  name: string;
  slug: string;
  description: string;
  parent_id: number | null;
}

/** Columns of one batch, as parallel arrays (what the unnest INSERT binds). */
interface ProductColumns {
  title: string[];
  slug: string[];
  description: string[];
  price: string[];
  stock_quantity: number[];
  category_id: number[];
  is_active: boolean[];
  created_at: string[];
  updated_at: string[];
}

/** Inserts what is missing and returns every row's id, matched as the unique indexes match (lower(name), then slug). */
async function upsertCategories(trx: Knex.Transaction, rows: CategoryRow[]): Promise<{ inserted: number; ids: number[] }> {
  const inserted = await trx('categories').insert(rows).onConflict().ignore().returning('id');
  const existing = (await trx('categories')
    .select('id', 'slug', trx.raw('lower(name) AS name_key'))
    .whereRaw('lower(name) = ANY(?)', [rows.map((row) => row.name.toLowerCase())])
    .orWhereIn('slug', rows.map((row) => row.slug))) as { id: number; slug: string; name_key: string }[];
  const ids = rows.map((row) => {
    const match = existing.find((found) => found.name_key === row.name.toLowerCase()) ?? existing.find((found) => found.slug === row.slug);
    if (!match) throw new Error(`Category ${row.name} was neither inserted nor found`);
    return match.id;
  });
  return { inserted: inserted.length, ids };
}

/** The department tree, in one transaction. Re-running finds the existing rows instead of adding any. */
async function seedCategories(db: Knex, departments: readonly Department[], faker: Faker): Promise<{ inserted: number; leaves: Leaf[] }> {
  return db.transaction(async (trx) => {
    const slugs = new SlugRegistry([], 'category');
    const top = await upsertCategories(
      trx,
      departments.map((department) => ({ name: department.name, slug: slugs.allocate(department.name), description: department.description, parent_id: null })),
    );
    const children = departments.flatMap((department, index) =>
      department.subcategories.map((category) => ({ department, category, parentId: top.ids[index] as number })),
    );
    const sub = await upsertCategories(
      trx,
      children.map(({ category, parentId }) => ({ name: category.name, slug: slugs.allocate(category.name), description: category.description, parent_id: parentId })),
    );
    const brands = new Map(departments.map((department) => [department, faker.helpers.multiple(() => faker.person.lastName(), { count: BRANDS_PER_DEPARTMENT })]));
    const leaves = children.map(({ department, category }, index) => ({
      id: sub.ids[index] as number,
      department,
      category,
      brands: brands.get(department) ?? [],
    }));
    return { inserted: top.inserted + sub.inserted, leaves };
  });
}

/** Mostly between min and a geometric midpoint, fewer up to `typical`, about one in eight premium. Prices end in .99, .49 or .00. */
function productPrice(faker: Faker, band: PriceBand): string {
  const middle = Math.round(Math.sqrt(band.min * band.typical));
  const [low, high] = faker.helpers.weightedArrayElement([
    { weight: 60, value: [band.min, middle] },
    { weight: 28, value: [middle, band.typical] },
    { weight: 12, value: [band.typical, band.max] },
  ]);
  const whole = Number(faker.commerce.price({ min: low, max: high, dec: 0 }));
  const cents = faker.helpers.weightedArrayElement([
    { weight: 6, value: '99' },
    { weight: 2, value: '49' },
    { weight: 2, value: '00' },
  ]);
  return cents === '00' ? `${whole}.00` : `${Math.max(whole - 1, 0)}.${cents}`;
}

function productDescription(faker: Faker, leaf: Leaf): string {
  const features = faker.helpers.arrayElements(leaf.category.features, { min: 2, max: 3 });
  const list = `${features.slice(0, -1).join(', ')} and ${features.at(-1) ?? ''}`;
  const [audience, otherAudience] = faker.helpers.arrayElements(leaf.department.audiences, 2);
  const opening = faker.helpers.arrayElement([`Features ${list}.`, `Designed for ${audience}, with ${list}.`, `Made to last, with ${list}.`]);
  const closing = faker.helpers.arrayElement([
    `Comes with ${faker.helpers.arrayElement(leaf.department.services)}.`,
    `Ideal for ${otherAudience ?? audience}.`,
    `Ships within ${faker.number.int({ min: 2, max: 5 })} business days.`,
    `Most-loved detail: ${features[0] ?? list}.`,
  ]);
  return `${opening} ${closing}`;
}

function addProduct(faker: Faker, leaves: Leaf[], slugs: SlugRegistry, now: number, into: ProductColumns): void {
  const leaf = faker.helpers.arrayElement(leaves);
  const noun = faker.helpers.arrayElement(leaf.category.nouns);
  const { adjectives, title: makeTitle, variant = leaf.department.variant } = leaf.category;
  const title = makeTitle
    ? makeTitle(faker)
    : [faker.helpers.arrayElement(leaf.brands), adjectives.length > 0 ? faker.helpers.arrayElement(adjectives) : '', noun].filter(Boolean).join(' ') + variant(faker);
  const createdAt = now - faker.number.int({ min: 0, max: TWO_YEARS_MS });
  into.title.push(title);
  into.slug.push(slugs.allocate(title));
  into.description.push(productDescription(faker, leaf));
  into.price.push(productPrice(faker, leaf.category.price));
  into.stock_quantity.push(
    faker.datatype.boolean(0.07) ? 0 : faker.number.int(faker.helpers.weightedArrayElement([
      { weight: 6, value: { min: 1, max: 50 } },
      { weight: 3, value: { min: 51, max: 250 } },
      { weight: 1, value: { min: 251, max: 1000 } },
    ])),
  );
  into.category_id.push(leaf.id);
  into.is_active.push(faker.datatype.boolean(0.97));
  into.created_at.push(new Date(createdAt).toISOString());
  into.updated_at.push(new Date(createdAt + faker.number.int({ min: 0, max: Math.min(now - createdAt, NINETY_DAYS_MS) })).toISOString());
}

async function generateBatch(size: number, add: (into: ProductColumns) => void): Promise<ProductColumns> {
  const columns: ProductColumns = { title: [], slug: [], description: [], price: [], stock_quantity: [], category_id: [], is_active: [], created_at: [], updated_at: [] };
  for (let index = 0; index < size; index += 1) {
    add(columns);
    // Let the event loop flush the previous batch's INSERT to the socket while this one is built.
    if (index % 500 === 499) await yieldToEventLoop();
  }
  return columns;
}

async function insertProducts(db: Knex, columns: ProductColumns): Promise<number> {
  const result = await db.raw<{ rowCount: number | null }>(
    `INSERT INTO products (title, slug, description, price, stock_quantity, category_id, is_active, created_at, updated_at)
     SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::numeric[], ?::int[], ?::bigint[], ?::boolean[], ?::timestamptz[], ?::timestamptz[])
     ON CONFLICT DO NOTHING`,
    [columns.title, columns.slug, columns.description, columns.price, columns.stock_quantity, columns.category_id, columns.is_active, columns.created_at, columns.updated_at],
  );
  return result.rowCount ?? 0;
}

/**
 * A demo catalogue: the department tree of catalog-tree.ts, then `products` products spread over its leaf
 * categories. Everything comes from `faker` in a fixed order, so the same seed gives the same titles, slugs and
 * prices, and asking for more products with the same seed extends the same sequence. Slugs are unique within
 * the run (`-2`, `-3`… suffixes), never digit-only or a reserved path; rows whose slug already exists are
 * skipped (ON CONFLICT DO NOTHING), so re-running with the same seed adds nothing.
 *
 * Each products batch is its own statement and so its own transaction when `db` is not a transaction: a lock
 * on the category counters (the products_count triggers) is held only for one batch, and an interrupted run
 * is completed by running it again with the same seed. Batch k+1 is generated while batch k is being written,
 * so Node and PostgreSQL work in parallel.
 */
export async function seedDemoCatalog(db: Knex, faker: Faker, options: DemoCatalogOptions): Promise<DemoCatalogResult> {
  const departments = DEPARTMENTS.slice(0, options.categories ?? DEPARTMENTS.length);
  if (departments.length === 0) {
    if (options.products > 0) throw new Error('Products need at least one category');
    return { categories: 0, products: 0 };
  }
  const { inserted: categories, leaves } = await seedCategories(db, departments, faker);
  const batchSize = options.batchSize ?? PRODUCT_BATCH_SIZE;
  const slugs = new SlugRegistry(RESERVED_PRODUCT_SLUGS, 'product');
  const now = (options.now ?? new Date()).getTime();
  let products = 0;
  let writing: Promise<number> | undefined;
  for (let start = 0; start < options.products; start += batchSize) {
    const batch = await generateBatch(Math.min(batchSize, options.products - start), (into) => addProduct(faker, leaves, slugs, now, into));
    if (writing) {
      products += await writing;
      options.onProgress?.(start, options.products);
    }
    writing = insertProducts(db, batch);
    // Observed here so that a failure while the next batch is generated is not reported as unhandled; awaited above.
    writing.catch(() => undefined);
  }
  if (writing) products += await writing;
  options.onProgress?.(options.products, options.products);
  return { categories, products };
}
