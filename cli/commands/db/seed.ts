import { randomBytes } from 'node:crypto';
import { Flags } from '@oclif/core';
import { passwordProblems } from '../../../api/modules/users';
import { TooManyReviewsError, type DemoSeedResult } from '../../../db/seeds';
import { announceCatalogChange } from '../../services/catalog-cache';
import { DatabaseCommand } from '../../database-command';
import { UsageError } from '../../errors';
import { sharedFlags } from '../../flags';
import { seedDemo, type CreatedAccount, type DemoSeedOutcome } from '../../services/demo-data';
import { DEMO_DATASET, demoReviews, devStackAccounts } from '../../services/demo-dataset';
import { runSteps } from '../../services/progress';

export interface SeedResult extends DemoSeedResult {
  seed: number;
  elapsedSeconds: number;
  /** The local stack's demo accounts this run created, with their passwords (only against a `nexus dev` database). */
  accounts: CreatedAccount[];
  /** Password of the demo customers this run created; absent when it created none. */
  demoPassword?: string;
}

const DEPARTMENTS = 8;
const count = (value: number): string => value.toLocaleString('en-US');
/** "a", "a and b", "a, b and c"; "nothing" when every item is false. */
const listOf = (items: (string | false)[]): string => {
  const named = items.filter((item): item is string => Boolean(item));
  return named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)}` : (named[0] ?? 'nothing');
};

export default class DbSeed extends DatabaseCommand<SeedResult> {
  static override description = [
    'Fill the database with realistic demo data (Faker): customers with addresses, a category tree of up to eight',
    'departments with their subcategories, products in those subcategories, and reviews of the active products by the',
    'demo customers (at most one per customer and product; product ratings follow them). Without flags it writes the dataset',
    '`nexus dev` starts with, and against the database of a running `nexus dev` it also re-creates that stack\'s two demo',
    'accounts with their passwords from .nexus/dev/accounts.json, so `db reset --yes && db seed` gives back what `nexus dev`',
    'printed. The same --seed gives the same data, and re-running with it adds nothing twice; passwords are printed only for',
    'accounts this run created. Products and reviews are written in large batches: 100,000 products or 500,000 reviews take',
    'seconds, not minutes. Refused against production.',
  ].join(' ');

  static override examples = [
    '<%= config.bin %> db seed',
    '<%= config.bin %> db seed --users 1000 --products 100000 --seed 42',
    '<%= config.bin %> db seed --users 1000 --products 100000 --reviews 500000 --seed 42',
    '<%= config.bin %> db seed --users 0 --categories 3 --products 500',
    'NEXUS_DEMO_PASSWORD=… <%= config.bin %> db seed --json',
  ];

  static override flags = {
    'database-url': sharedFlags.databaseUrl,
    seed: Flags.integer({ description: 'Faker seed for reproducible data (the same as `nexus dev`\'s by default).', default: DEMO_DATASET.seed, min: 0 }),
    users: Flags.integer({ description: 'Demo customers to create.', default: DEMO_DATASET.users, min: 0, max: 1_000_000 }),
    products: Flags.integer({ description: 'Products to create (0: no catalogue at all).', default: DEMO_DATASET.products, min: 0, max: 1_000_000 }),
    reviews: Flags.integer({
      description: 'Reviews of active products by the demo customers (each reviews a product at most once). Default: 3 per customer (none under 10 products), as `nexus dev`.',
      min: 0,
      max: 10_000_000,
    }),
    categories: Flags.integer({
      description: `Top-level departments of the category tree, each with 3–5 subcategories (1–${DEPARTMENTS}).`,
      default: DEPARTMENTS,
      min: 1,
      max: DEPARTMENTS,
    }),
    'demo-password': Flags.string({
      description: "Password of the demo customers created. Default: the `nexus dev` customer's when seeding its database, else a random one (printed when customers were created).",
      env: 'NEXUS_DEMO_PASSWORD',
    }),
  };

  static override summary = 'Add demo data';

  async run(): Promise<SeedResult> {
    const { flags } = await this.parse(DbSeed);
    if (flags['demo-password'] !== undefined) {
      const weak = passwordProblems(flags['demo-password']);
      if (weak.length > 0) throw new UsageError(`--demo-password is too weak: ${weak.join(' ')}`);
    }
    const reviews = flags.reviews ?? demoReviews(flags.users, flags.products);
    return this.withDatabase(flags['database-url'], async (db, target) => {
      await this.assertNotProduction(db, 'write demo data');
      const accounts = devStackAccounts(target.url);
      const customersPassword = flags['demo-password'] ?? accounts?.customer.password ?? randomBytes(12).toString('base64url');
      const started = performance.now();
      let outcome: DemoSeedOutcome | undefined;
      const what = listOf([
        flags.users > 0 && `${count(flags.users)} users`,
        flags.products > 0 && `${count(flags.products)} products`,
        reviews > 0 && `${count(reviews)} reviews`,
      ]);
      await runSteps(
        [
          {
            title: `Seed ${what} (seed ${flags.seed})`,
            run: async (reporter) => {
              outcome = await seedDemo(db, {
                users: flags.users,
                categories: flags.categories,
                products: flags.products,
                reviews,
                seed: flags.seed,
                customersPassword,
                accounts,
                onProgress: (stage, done, total) => reporter.report(`${stage}: ${count(done)} / ${count(total)}`),
              }).catch((error: unknown) => {
                if (!(error instanceof TooManyReviewsError)) throw error;
                throw new UsageError(error.message, ['lower --reviews', 'or add demo customers and products with --users and --products']);
              });
            },
          },
        ],
        this.isInteractive() ? 'interactive' : 'plain',
      );
      const { created, ...counts } = outcome as DemoSeedOutcome;
      const summary: SeedResult = {
        seed: flags.seed,
        ...counts,
        elapsedSeconds: Math.round((performance.now() - started) / 10) / 100,
        accounts: created,
        ...(counts.users > 0 ? { demoPassword: customersPassword } : {}),
      };
      if (summary.categories > 0 || summary.products > 0 || summary.reviews > 0) {
        if (await announceCatalogChange()) this.note('Told running API processes to drop their cached catalogue (REDIS_URL).');
      }
      this.printSummary(summary);
      return summary;
    });
  }

  private printSummary(summary: SeedResult): void {
    if (this.jsonEnabled()) return;
    this.log(`Inserted in ${summary.elapsedSeconds.toFixed(2)} s (seed ${summary.seed}; rows that already existed are skipped):`);
    for (const table of ['users', 'addresses', 'categories', 'products', 'reviews'] as const) this.log(`  ${table.padEnd(12)}${count(summary[table]).padStart(10)}`);
    // Only passwords of accounts that exist because of this run: an old run's password would match nothing.
    for (const account of summary.accounts) this.log(`Created ${account.staff ? 'staff' : 'customer'} account ${account.email}  /  ${account.password}`);
    if (summary.demoPassword) this.log(`The ${count(summary.users)} demo customers created share the password: ${summary.demoPassword}`);
  }
}
