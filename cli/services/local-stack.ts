import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { loadConfig } from '../../api/config';
import { createLogger } from '../../api/infra/logger';
import { startServer, type RunningServer } from '../../api/server';
import { createDatabase } from '../../db/connection';
import { migrateLatest } from '../../db/migrator';
import { seedDemoData } from '../../db/seeds';
import { hashPassword, UserRepository } from '../../api/modules/users';
import { readMeta, writeMeta } from '../../db/meta';
import { NexusError, RefusedError } from '../errors';
import { redactUrl } from '../redact';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { clearDevState, writeDevState } from './dev-state';
import type { Step } from './progress';
import { createStaffAccount } from './staff-accounts';

export interface LocalStackOptions {
  dataDir: string;
  host: string;
  port: number;
  users: number;
  /** Products of the demo catalogue (all eight departments) created on first run. */
  products: number;
  seed: number;
  skipSeed: boolean;
  logLevel: string;
}

export interface DevAccount {
  email: string;
  password: string;
}

export interface LocalStackInfo {
  apiUrl: string;
  docsUrl: string;
  healthUrl: string;
  database: { url: string; embedded: boolean; dataDir?: string };
  accounts: { staff: DevAccount; customer: DevAccount };
}

const DATABASE_NAME = 'nexus';
const DEMO_SEEDED_KEY = 'dev_demo_seeded_at';
/** Demo reviews on first run, per demo customer on average, so that the catalogue shows ratings. */
const DEMO_REVIEWS_PER_USER = 3;
/** Below this many products a few inactive ones could leave fewer (customer, product) pairs than reviews: none then. */
const MIN_PRODUCTS_FOR_REVIEWS = 10;

function readOrCreate(file: string, create: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = create();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** The embedded database keeps its port between runs (so its URL stays the same) unless it is taken. */
async function databasePort(dataDir: string): Promise<number> {
  const file = join(dataDir, 'postgres.port');
  const saved = existsSync(file) ? Number(readFileSync(file, 'utf8')) : undefined;
  if (saved && (await portIsFree(saved))) return saved;
  for (let port = 54329; port < 54429; port += 1) {
    if (await portIsFree(port)) {
      writeFileSync(file, String(port));
      return port;
    }
  }
  throw new NexusError('No free port for the embedded PostgreSQL between 54329 and 54428.', { code: 'NO_FREE_PORT' });
}

function devAccounts(dataDir: string): { staff: DevAccount; customer: DevAccount } {
  const file = join(dataDir, 'accounts.json');
  const json = readOrCreate(file, () =>
    JSON.stringify({
      staff: { email: 'admin@demo.nexus.test', password: randomBytes(12).toString('base64url') },
      customer: { email: 'customer@demo.nexus.test', password: randomBytes(12).toString('base64url') },
    }),
  );
  return JSON.parse(json) as { staff: DevAccount; customer: DevAccount };
}

async function ensureAccount(db: Knex, account: DevAccount, staff: boolean): Promise<void> {
  if (!(await new UserRepository(db).findByEmail(account.email))) {
    await createStaffAccount(db, { email: account.email, password: account.password, staff });
  }
}

/**
 * The whole local stack in one process: an embedded PostgreSQL (or DATABASE_URL's), migrated and seeded on
 * first run, two demo accounts with passwords generated for this machine, and the API. `steps()` is the
 * start-up work (for progress display); `stop()` undoes it in reverse.
 */
export class LocalStack {
  private cluster?: EmbeddedPostgres;
  private server?: RunningServer;
  private databaseUrl = process.env.DATABASE_URL ?? '';
  private readonly accounts: { staff: DevAccount; customer: DevAccount };

  constructor(private readonly options: LocalStackOptions) {
    if (process.env.NODE_ENV === 'production') {
      throw new RefusedError('`nexus dev` is for development; NODE_ENV is production.', ['unset NODE_ENV or use `npm start`']);
    }
    mkdirSync(options.dataDir, { recursive: true, mode: 0o755 });
    this.accounts = devAccounts(options.dataDir);
  }

  steps(): Step[] {
    return [
      { title: this.databaseUrl ? 'Connect to DATABASE_URL' : 'Start the embedded PostgreSQL', run: () => this.startDatabase() },
      { title: 'Apply migrations', run: () => this.withDatabase((db) => migrateLatest(db)) },
      { title: 'Seed demo data (first run only)', run: () => this.withDatabase((db) => this.seed(db)) },
      { title: 'Start the API', run: () => this.startApi() },
    ];
  }

  private async startDatabase(): Promise<void> {
    if (this.databaseUrl) return;
    this.cluster = await startEmbeddedPostgres({
      dataDir: join(this.options.dataDir, 'postgres'),
      port: await databasePort(this.options.dataDir),
      persistent: true,
      ownSignals: true,
    });
    await this.cluster.ensureDatabase(DATABASE_NAME);
    this.databaseUrl = this.cluster.url(DATABASE_NAME);
  }

  private async withDatabase<T>(work: (db: Knex) => Promise<T>): Promise<T> {
    const db = createDatabase({ url: this.databaseUrl, poolMax: 2, applicationName: 'nexus-dev' });
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  }

  /** Demo data once per database: `nexus db reset` clears the mark, so the next start seeds again. */
  private async seed(db: Knex): Promise<void> {
    if (!this.options.skipSeed && !(await readMeta(db, DEMO_SEEDED_KEY))) {
      await seedDemoData(db, {
        users: this.options.users,
        products: this.options.products,
        reviews: this.options.products >= MIN_PRODUCTS_FOR_REVIEWS ? DEMO_REVIEWS_PER_USER * this.options.users : 0,
        seed: this.options.seed,
        passwordHash: await hashPassword(this.accounts.customer.password),
      });
      await writeMeta(db, DEMO_SEEDED_KEY, new Date().toISOString());
    }
    await ensureAccount(db, this.accounts.staff, true);
    await ensureAccount(db, this.accounts.customer, false);
  }

  private async startApi(): Promise<void> {
    const jwtSecret = process.env.JWT_SECRET ?? readOrCreate(join(this.options.dataDir, 'jwt-secret'), () => randomBytes(48).toString('base64'));
    const config = loadConfig({
      ...process.env,
      NODE_ENV: process.env.NODE_ENV ?? 'development',
      DATABASE_URL: this.databaseUrl,
      HOST: this.options.host,
      PORT: String(this.options.port),
      JWT_SECRET: jwtSecret,
      LOG_LEVEL: this.options.logLevel,
    });
    const logger = createLogger({ level: config.log.level }, process.stderr);
    try {
      this.server = await startServer(config, logger);
    } catch (error) {
      if ((error as { code?: string }).code === 'EADDRINUSE') {
        throw new NexusError(`Port ${this.options.port} on ${this.options.host} is already in use.`, {
          code: 'PORT_IN_USE',
          suggestions: ['pass another port with --port'],
        });
      }
      throw error;
    }
    writeDevState(this.options.dataDir, {
      pid: process.pid,
      apiUrl: this.server.url,
      databaseUrl: this.databaseUrl,
      startedAt: new Date().toISOString(),
    });
  }

  info(): LocalStackInfo {
    const apiUrl = this.server?.url ?? '';
    return {
      apiUrl: `${apiUrl}/api/v1/`,
      docsUrl: `${apiUrl}/api/v1/docs/`,
      healthUrl: `${apiUrl}/health/`,
      database: { url: redactUrl(this.databaseUrl), embedded: Boolean(this.cluster), dataDir: this.cluster ? join(this.options.dataDir, 'postgres') : undefined },
      accounts: this.accounts,
    };
  }

  async stop(): Promise<void> {
    clearDevState(this.options.dataDir);
    await this.server?.stop();
    await this.cluster?.stop();
  }
}
