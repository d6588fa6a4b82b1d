import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Faker, en } from '@faker-js/faker';
import type { Knex } from 'knex';
import { SmallFastRandomizer, WeightedPicker } from './random';
import { reviewComment } from './review-comments';
import { DEMO_EMAIL_DOMAIN } from './users';

/**
 * Rows per INSERT, as for products: each statement binds six arrays expanded by unnest, and the rating
 * triggers on reviews run once per statement, so a batch updates each product it touches once.
 */
export const REVIEW_BATCH_SIZE = 5_000;
const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;
const EDIT_WINDOW_MS = 30 * 24 * 3600 * 1000;

export interface DemoReviewsOptions {
  reviews: number;
  batchSize?: number;
  /** Called after each batch is written: reviews done so far and the total asked for. */
  onProgress?: (done: number, total: number) => void;
  /** created_at values are spread over the two years before this instant (never before the product's). Default: now. */
  now?: Date;
}

export interface DemoReviewsResult {
  /** Reviews inserted by this call (a pair of user and product that already has a review is skipped). */
  reviews: number;
}

/** Who can be reviewed by whom: the demo customers (active, non-staff, demo e-mail domain) and the active products. */
export interface ReviewCandidates {
  users: number;
  products: number;
}

/** More reviews asked for than there are (customer, product) pairs: one review per user and product. */
export class TooManyReviewsError extends Error {
  constructor(
    readonly requested: number,
    readonly users: number,
    readonly products: number,
  ) {
    const format = (value: number) => value.toLocaleString('en-US');
    super(
      `Cannot add ${format(requested)} review${requested === 1 ? '' : 's'}: each customer reviews a product at most once, and ${format(users)} demo customers × ` +
        `${format(products)} active products allow at most ${format(users * products)}.`,
    );
    this.name = 'TooManyReviewsError';
  }
}

/** Throws TooManyReviewsError when `reviews` distinct (user, product) pairs cannot exist. */
export function assertReviewsPossible(reviews: number, candidates: ReviewCandidates): void {
  if (reviews > candidates.users * candidates.products) throw new TooManyReviewsError(reviews, candidates.users, candidates.products);
}

const REVIEWER_FILTER = `is_active AND NOT is_staff AND lower(email) LIKE '%@${DEMO_EMAIL_DOMAIN}'`;

/** How many demo customers and active products there are now. */
export async function countReviewCandidates(db: Knex): Promise<ReviewCandidates> {
  const { rows } = await db.raw<{ rows: { users: number; products: number }[] }>(
    `SELECT (SELECT count(*) FROM users WHERE ${REVIEWER_FILTER})::int AS users, (SELECT count(*) FROM products WHERE is_active)::int AS products`,
  );
  return { users: rows[0]?.users ?? 0, products: rows[0]?.products ?? 0 };
}

interface Product {
  id: number;
  createdMs: number;
}

/** A few bestsellers collect most reviews; most products get none or a handful. Integer weights. */
function popularity(faker: Faker): number {
  return faker.number.int(
    faker.helpers.weightedArrayElement([
      { weight: 60, value: { min: 1, max: 2 } },
      { weight: 28, value: { min: 3, max: 12 } },
      { weight: 10, value: { min: 13, max: 60 } },
      { weight: 2, value: { min: 61, max: 400 } },
    ]),
  );
}

/**
 * How many reviews each product gets: `total` draws, one product each, weighted by popularity; a product
 * every customer has reviewed leaves the draw. The weights come first, then the draws, both from `faker` in
 * a fixed order, so the first N draws of a larger total are the same: more reviews extend the same sequence.
 */
function allocate(faker: Faker, products: number, users: number, total: number): Int32Array {
  const picker = new WeightedPicker(Array.from({ length: products }, () => popularity(faker)));
  const counts = new Int32Array(products);
  for (let draw = 0; draw < total; draw += 1) {
    const index = picker.find(faker.number.int({ min: 0, max: picker.total - 1 }));
    counts[index] = (counts[index] ?? 0) + 1;
    if (counts[index] === users) picker.remove(index);
  }
  return counts;
}

/** Rating weights for 1–5 stars by the product's overall quality; mixed they give about 5/7/15/33/40 %. */
const QUALITY = [
  { weight: 60, value: [2, 4, 10, 34, 50] },
  { weight: 30, value: [6, 10, 22, 34, 28] },
  { weight: 10, value: [25, 20, 22, 20, 13] },
].map(({ weight, value }) => ({ weight, value: value.map((stars, index) => ({ weight: stars, value: index + 1 })) }));


interface ReviewRow {
  userId: number;
  productId: number;
  rating: number;
  comment: string;
  createdAt: number;
  updatedAt: number;
}

/**
 * The reviews of one product, from its own stream (seeded by the run's seed and the product id): its quality,
 * then per review a customer not yet drawn for it (a lazy Fisher–Yates shuffle of the customers), the rating,
 * comment and dates. Review k is the same whatever the product's count, so a larger total only adds reviews.
 */
function* productReviews(faker: Faker, product: Product, count: number, reviewers: number[], now: number): Generator<ReviewRow> {
  const ratings = faker.helpers.weightedArrayElement(QUALITY);
  const from = Math.max(product.createdMs, now - TWO_YEARS_MS);
  const span = Math.max(0, Math.floor(now - from));
  const swapped = new Map<number, number>();
  for (let position = 0; position < count; position += 1) {
    const pick = faker.number.int({ min: position, max: reviewers.length - 1 });
    const user = swapped.get(pick) ?? pick;
    swapped.set(pick, swapped.get(position) ?? position);
    const rating = faker.helpers.weightedArrayElement(ratings);
    const comment = reviewComment(faker, rating);
    const createdAt = from + faker.number.int({ min: 0, max: span });
    const edited = faker.datatype.boolean(0.08);
    const updatedAt = edited ? createdAt + faker.number.int({ min: 0, max: Math.max(0, Math.min(now - createdAt, EDIT_WINDOW_MS)) }) : createdAt;
    yield { userId: reviewers[user] as number, productId: product.id, rating, comment, createdAt, updatedAt };
  }
}

/** Columns of one batch, as parallel arrays (what the unnest INSERT binds). */
interface ReviewColumns {
  user_id: number[];
  product_id: number[];
  rating: number[];
  comment: string[];
  created_at: string[];
  updated_at: string[];
}

async function generateBatch(size: number, rows: Iterator<ReviewRow>): Promise<ReviewColumns> {
  const columns: ReviewColumns = { user_id: [], product_id: [], rating: [], comment: [], created_at: [], updated_at: [] };
  for (let index = 0; index < size; index += 1) {
    const next = rows.next();
    if (next.done) break;
    const row = next.value;
    columns.user_id.push(row.userId);
    columns.product_id.push(row.productId);
    columns.rating.push(row.rating);
    columns.comment.push(row.comment);
    columns.created_at.push(new Date(row.createdAt).toISOString());
    columns.updated_at.push(new Date(row.updatedAt).toISOString());
    // Let the event loop flush the previous batch's INSERT to the socket while this one is built.
    if (index % 500 === 499) await yieldToEventLoop();
  }
  return columns;
}

async function insertReviews(db: Knex, columns: ReviewColumns): Promise<number> {
  const result = await db.raw<{ rowCount: number | null }>(
    `INSERT INTO reviews (user_id, product_id, rating, comment, created_at, updated_at)
     SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::smallint[], ?::text[], ?::timestamptz[], ?::timestamptz[])
     ON CONFLICT (user_id, product_id) DO NOTHING`,
    [columns.user_id, columns.product_id, columns.rating, columns.comment, columns.created_at, columns.updated_at],
  );
  return result.rowCount ?? 0;
}

/**
 * Demo reviews by the demo customers (active, non-staff users of the demo e-mail domain) of the active
 * products, both in id order. `seed` names the stream (e.g. [seed, REVIEWS_STREAM]): it first decides how many
 * reviews each product gets (popularity-weighted, so a few bestsellers have many and many products none), then
 * each product's reviews come from that product's own stream. The same seed over the same customers and
 * products gives the same reviews; a larger `reviews` with the same seed extends them. A (customer, product)
 * pair that already has a review is skipped (ON CONFLICT DO NOTHING), so re-running adds nothing.
 *
 * Rows are written product by product in batches of REVIEW_BATCH_SIZE, each its own statement and so its own
 * transaction when `db` is not a transaction: the rating triggers update each product of a batch once, and a
 * product's reviews are contiguous, so it is updated once per batch they fall into (usually one). An interrupted
 * run is completed by running it again.
 * @throws TooManyReviewsError when there are fewer (customer, product) pairs than `reviews`
 */
export async function seedDemoReviews(db: Knex, seed: readonly number[], options: DemoReviewsOptions): Promise<DemoReviewsResult> {
  if (options.reviews === 0) return { reviews: 0 };
  const reviewers = (await db('users').whereRaw(REVIEWER_FILTER).orderBy('id').pluck('id')) as number[];
  const products = (
    await db.raw<{ rows: Product[] }>('SELECT id, (extract(epoch FROM created_at) * 1000)::float8 AS "createdMs" FROM products WHERE is_active ORDER BY id')
  ).rows;
  assertReviewsPossible(options.reviews, { users: reviewers.length, products: products.length });

  const streamFaker = new Faker({ locale: [en] });
  streamFaker.seed([...seed]);
  const counts = allocate(streamFaker, products.length, reviewers.length, options.reviews);
  const productFaker = new Faker({ locale: [en], randomizer: new SmallFastRandomizer() });
  const now = (options.now ?? new Date()).getTime();
  function* allReviews(): Generator<ReviewRow> {
    for (const [index, product] of products.entries()) {
      const count = counts[index] ?? 0;
      if (count === 0) continue;
      // Ids beyond 32 bits split into two words; the seed takes 32-bit integers.
      productFaker.seed([...seed, product.id % 2 ** 31, Math.floor(product.id / 2 ** 31)]);
      yield* productReviews(productFaker, product, count, reviewers, now);
    }
  }

  const rows = allReviews();
  const batchSize = options.batchSize ?? REVIEW_BATCH_SIZE;
  let inserted = 0;
  let writing: Promise<number> | undefined;
  for (let start = 0; start < options.reviews; start += batchSize) {
    const batch = await generateBatch(Math.min(batchSize, options.reviews - start), rows);
    if (writing) {
      inserted += await writing;
      options.onProgress?.(start, options.reviews);
    }
    writing = insertReviews(db, batch);
    // Observed here so that a failure while the next batch is generated is not reported as unhandled; awaited above.
    writing.catch(() => undefined);
  }
  if (writing) inserted += await writing;
  options.onProgress?.(options.reviews, options.reviews);
  return { reviews: inserted };
}
