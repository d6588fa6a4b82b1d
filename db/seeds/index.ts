import { Faker, en } from '@faker-js/faker';
import type { Knex } from 'knex';
import { seedDemoUsers } from './demo/users';

export interface DemoSeedOptions {
  users: number;
  /** Faker seed: the same number produces the same data. */
  seed: number;
  passwordHash: string;
}

export interface DemoSeedResult {
  users: number;
}

/** Realistic demo data for development and demos; callers must refuse it against production. */
export async function seedDemoData(db: Knex, options: DemoSeedOptions): Promise<DemoSeedResult> {
  const faker = new Faker({ locale: [en], seed: options.seed });
  return db.transaction(async (trx) => ({
    users: await seedDemoUsers(trx, faker, { count: options.users, passwordHash: options.passwordHash }),
  }));
}
