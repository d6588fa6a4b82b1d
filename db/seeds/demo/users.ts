import type { Faker } from '@faker-js/faker';
import type { Knex } from 'knex';

export const DEMO_EMAIL_DOMAIN = 'demo.nexus.test';
const BATCH_SIZE = 1000;

export interface DemoUsersOptions {
  count: number;
  /** One argon2 hash shared by every demo account: hashing per user would dominate seeding time. */
  passwordHash: string;
  /** Called after each batch: users done so far and the total asked for. */
  onProgress?: (done: number, total: number) => void;
}

export interface DemoUsersResult {
  users: number;
  addresses: number;
}

/**
 * Adds `count` customers with one to two addresses each (the first is the default). Emails are derived from
 * the Faker sequence, so the same seed yields the same accounts and re-running adds nothing.
 * @returns how many users and addresses were inserted (existing users are skipped, with their addresses)
 */
export async function seedDemoUsers(db: Knex, faker: Faker, options: DemoUsersOptions): Promise<DemoUsersResult> {
  let inserted = 0;
  let insertedAddresses = 0;
  for (let start = 0; start < options.count; start += BATCH_SIZE) {
    const size = Math.min(BATCH_SIZE, options.count - start);
    const people = Array.from({ length: size }, (_, offset) => {
      const firstName = faker.person.firstName();
      const lastName = faker.person.lastName();
      const index = start + offset + 1;
      const handle = faker.internet.username({ firstName, lastName }).replace(/[^\w.@+-]/g, '').slice(0, 120);
      return {
        email: `${handle.toLowerCase()}.${index}@${DEMO_EMAIL_DOMAIN}`,
        username: `${handle}_${index}`,
        first_name: firstName,
        last_name: lastName,
        password_hash: options.passwordHash,
        addresses: faker.number.int({ min: 1, max: 2 }),
      };
    });
    const rows = await db('users')
      .insert(people.map(({ addresses: _addresses, ...user }) => user))
      .onConflict()
      .ignore()
      .returning(['id', 'email', 'first_name', 'last_name']);
    inserted += rows.length;
    const addressCount = new Map(people.map((person) => [person.email, person.addresses]));
    const addresses = (rows as { id: number; email: string; first_name: string; last_name: string }[]).flatMap((user) =>
      Array.from({ length: addressCount.get(user.email) ?? 1 }, (_, position) => ({
        user_id: user.id,
        first_name: user.first_name,
        last_name: user.last_name,
        address_line_1: faker.location.streetAddress().slice(0, 255),
        address_line_2: position === 0 ? '' : faker.location.secondaryAddress().slice(0, 255),
        city: faker.location.city().slice(0, 100),
        postal_code: faker.location.zipCode().slice(0, 20),
        country: faker.location.country().slice(0, 100),
        phone_number: faker.string.numeric({ length: 10 }),
        is_default: position === 0,
      })),
    );
    if (addresses.length > 0) await db('addresses').insert(addresses);
    insertedAddresses += addresses.length;
    options.onProgress?.(start + size, options.count);
  }
  return { users: inserted, addresses: insertedAddresses };
}
