import { randomBytes, randomInt } from 'node:crypto';
import { Flags } from '@oclif/core';
import { hashPassword, passwordProblems } from '../../../api/modules/users';
import { seedDemoData } from '../../../db/seeds';
import { DatabaseCommand } from '../../database-command';
import { UsageError } from '../../errors';
import { sharedFlags } from '../../flags';

export interface SeedResult {
  seed: number;
  users: number;
  /** Password of every demo account created by this run. */
  demoPassword: string;
}

export default class DbSeed extends DatabaseCommand<SeedResult> {
  static override description =
    'Fill the database with realistic demo data (Faker): customers with addresses. The same --seed gives the same data, and re-running with it adds nothing twice. Refused against production.';

  static override examples = [
    '<%= config.bin %> db seed',
    '<%= config.bin %> db seed --users 1000 --seed 42',
    'NEXUS_DEMO_PASSWORD=… <%= config.bin %> db seed --json',
  ];

  static override flags = {
    'database-url': sharedFlags.databaseUrl,
    seed: Flags.integer({ description: 'Faker seed for reproducible data. Default: random (printed).', min: 0 }),
    users: Flags.integer({ description: 'Demo customers to create.', default: 25, min: 0, max: 1_000_000 }),
    'demo-password': Flags.string({
      description: 'Password of the demo accounts. Default: a random one, printed.',
      env: 'NEXUS_DEMO_PASSWORD',
    }),
  };

  static override summary = 'Add demo data';

  async run(): Promise<SeedResult> {
    const { flags } = await this.parse(DbSeed);
    const demoPassword = flags['demo-password'] ?? randomBytes(12).toString('base64url');
    const weak = passwordProblems(demoPassword);
    if (weak.length > 0) throw new UsageError(`--demo-password is too weak: ${weak.join(' ')}`);
    const seed = flags.seed ?? randomInt(1, 2 ** 31 - 1);
    return this.withDatabase(flags['database-url'], async (db) => {
      await this.assertNotProduction(db, 'write demo data');
      this.note(`Seeding ${flags.users} demo users (seed ${seed})…`);
      const result = await seedDemoData(db, { users: flags.users, seed, passwordHash: await hashPassword(demoPassword) });
      this.log(`Inserted ${result.users} users (seed ${seed}). Demo accounts' password: ${demoPassword}`);
      return { seed, users: result.users, demoPassword };
    });
  }
}
