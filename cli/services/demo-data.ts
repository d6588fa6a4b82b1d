import type { Knex } from 'knex';
import { hashPassword, UserRepository } from '../../api/modules/users';
import { readMeta, writeMeta } from '../../db/meta';
import { seedDemoData, type DemoSeedResult, type DemoSeedStage } from '../../db/seeds';
import type { DemoAccount, DemoAccounts } from './demo-dataset';
import { createStaffAccount } from './staff-accounts';

/** Marks a database that holds the demo dataset; `nexus db reset` drops it with everything else. */
const DEMO_SEEDED_KEY = 'dev_demo_seeded_at';

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
