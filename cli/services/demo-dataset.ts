import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devDir, runningDevState } from './dev-state';

/**
 * The demo dataset, defined once: `nexus dev` seeds it on first run and `nexus db seed` without flags seeds the
 * same, so "start over" (`db reset --yes && db seed`) gives back what `nexus dev` showed.
 */
export const DEMO_DATASET = { users: 20, products: 500, seed: 1 } as const;
/** Demo reviews per demo customer on average, so that the catalogue shows ratings. */
const DEMO_REVIEWS_PER_USER = 3;
/** Below this many products a few inactive ones could leave fewer (customer, product) pairs than reviews: none then. */
const MIN_PRODUCTS_FOR_REVIEWS = 10;

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
