import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { hashPassword, UserRepository } from '../../api/modules/users';
import { readMeta, writeMeta } from '../../db/meta';
import { seedDemoData, type DemoSeedResult, type DemoSeedStage } from '../../db/seeds';
import { devDir, runningDevState } from './dev-state';
import { createStaffAccount } from './staff-accounts';

/**
 * The demo dataset, defined once: `nexus dev` seeds it on first run and `nexus db seed` without flags seeds the
 * same, so "start over" (`db reset --yes && db seed`) gives back what `nexus dev` showed.
 */
export const DEMO_DATASET = { users: 20, products: 500, seed: 1 } as const;
/** Demo reviews per demo customer on average, so that the catalogue shows ratings. */
const DEMO_REVIEWS_PER_USER = 3;
/** Below this many products a few inactive ones could leave fewer (customer, product) pairs than reviews: none then. */
const MIN_PRODUCTS_FOR_REVIEWS = 10;
/** Marks a database that holds the demo dataset; `nexus db reset` drops it with everything else. */
const DEMO_SEEDED_KEY = 'dev_demo_seeded_at';

/** The reviews of the demo dataset for these many customers and products. */
export function demoReviews(users: number, products: number): number {
  return products >= MIN_PRODUCTS_FOR_REVIEWS ? DEMO_REVIEWS_PER_USER * users : 0;
}

export interface DemoAccount {
  email: string;
  password: string;
}

/** The local stack's two accounts; the seeded demo customers share the customer's password. */
export interface DemoAccounts {
  staff: DemoAccount;
  customer: DemoAccount;
}

/**
 * The demo accounts' credentials of a dev directory: generated once for this machine and kept beside the
 * database (mode 600), the one place both `nexus dev` and `nexus db seed` read them from.
 */
export function demoAccounts(devDir: string): DemoAccounts {
  const file = join(devDir, 'accounts.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DemoAccounts;
  const accounts: DemoAccounts = {
    staff: { email: 'admin@demo.nexus.test', password: randomBytes(12).toString('base64url') },
    customer: { email: 'customer@demo.nexus.test', password: randomBytes(12).toString('base64url') },
  };
  mkdirSync(devDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(accounts)}\n`, { mode: 0o600 });
  return accounts;
}

/**
 * The local stack's demo accounts when `databaseUrl` is the database of the `nexus dev` running in this
 * project; undefined for any other database (a staging server gets no demo staff account).
 */
export function devStackAccounts(databaseUrl: string): DemoAccounts | undefined {
  const state = runningDevState();
  return state?.databaseUrl === databaseUrl ? demoAccounts(devDir()) : undefined;
}

export interface DemoSeedPlan {
  users: number;
  products: number;
  reviews: number;
  categories?: number;
  seed: number;
  /** Password of the demo customers created by this run. */
  customersPassword: string;
  /** The local stack's accounts, created when missing (only for a dev stack's database). */
  accounts?: DemoAccounts;
  onProgress?: (stage: DemoSeedStage, done: number, total: number) => void;
}

export interface CreatedAccount extends DemoAccount {
  staff: boolean;
}

export interface DemoSeedOutcome extends DemoSeedResult {
  /** The demo accounts this run created (existing ones are left as they are and not listed). */
  created: CreatedAccount[];
}

/**
 * Creates the local stack's accounts that are missing, writes a demo dataset (idempotent per seed: existing
 * rows are skipped), and marks the database as holding demo data. What it reports as created is exactly what a
 * caller may print credentials for.
 */
export async function seedDemo(db: Knex, plan: DemoSeedPlan): Promise<DemoSeedOutcome> {
  // The accounts first: the demo customer is one of the reviewers, so a re-run draws the same reviews.
  const created = plan.accounts ? await ensureDemoAccounts(db, plan.accounts) : [];
  const counts = await seedDemoData(db, {
    users: plan.users,
    categories: plan.categories,
    products: plan.products,
    reviews: plan.reviews,
    seed: plan.seed,
    passwordHash: await hashPassword(plan.customersPassword),
    onProgress: plan.onProgress,
  });
  await writeMeta(db, DEMO_SEEDED_KEY, new Date().toISOString());
  return { ...counts, created };
}

/** Whether the demo dataset was seeded into this database (since its last reset). */
export async function holdsDemoData(db: Knex): Promise<boolean> {
  return Boolean(await readMeta(db, DEMO_SEEDED_KEY));
}

/** Creates whichever of the local stack's accounts is missing; returns those it created. */
export async function ensureDemoAccounts(db: Knex, accounts: DemoAccounts): Promise<CreatedAccount[]> {
  const created: CreatedAccount[] = [];
  for (const [account, staff] of [[accounts.staff, true], [accounts.customer, false]] as const) {
    if (await new UserRepository(db).findByEmail(account.email)) continue;
    await createStaffAccount(db, { email: account.email, password: account.password, staff });
    created.push({ ...account, staff });
  }
  return created;
}
