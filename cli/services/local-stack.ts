import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Knex } from 'knex';
import type { RunningServer } from '../../api/server';
import type { RunningWorker } from '../../api/worker';
import { NexusError, RefusedError } from '../errors';
import { redactUrl } from '../redact';
import type { EmbeddedPostgres } from './embedded-postgres';
import { HeldLog } from './held-log';
import { demoAccounts, demoReviews, type DemoAccounts } from './demo-dataset';
import { claimDevDir, releaseDevDir, writeDevState } from './dev-state';
import type { Step } from './progress';

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

export interface LocalStackInfo {
  apiUrl: string;
  docsUrl: string;
  /** The staff console; the demo staff account signs in there. */
  consoleUrl: string;
  healthUrl: string;
  /** The delivery worker running beside the API: where its jobs wait, how mail leaves. */
  worker: { queue: 'redis' | 'memory'; mail: 'smtp' | 'log' | 'disabled' };
  database: { url: string; embedded: boolean; dataDir?: string };
  accounts: DemoAccounts;
}

const DATABASE_NAME = 'nexus';

function readOrCreate(file: string, create: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = create();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

/** The host name links use: a wildcard bind is reached as localhost. */
function publicHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::') return 'localhost';
  return bind.includes(':') ? `[${bind}]` : bind;
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

/**
 * The whole local stack in one process: an embedded PostgreSQL (or DATABASE_URL's), migrated and seeded on
 * first run, two demo accounts with passwords generated for this machine, and the API. `steps()` is the
 * start-up work (for progress display); `stop()` undoes it in reverse. Each step loads the code it needs
 * itself (the API alone takes a second or more to load), so progress shows from the start.
 */
export class LocalStack {
  private cluster?: EmbeddedPostgres;
  private server?: RunningServer;
  private worker?: RunningWorker;
  private mailTransport?: 'smtp' | 'log' | 'disabled';
  private databaseUrl = process.env.DATABASE_URL ?? '';
  private claimed = false;
  private accounts?: DemoAccounts;
  /** The API's and the worker's log (stderr), held until the banner is out. */
  private readonly log = new HeldLog(process.stderr);

  constructor(private readonly options: LocalStackOptions) {
    if (process.env.NODE_ENV === 'production') {
      throw new RefusedError('`nexus dev` is for development; NODE_ENV is production.', ['unset NODE_ENV or use `npm start`']);
    }
  }

  /**
   * Takes the data directory before anything in it is touched: a second `nexus dev` there is refused and
   * leaves the running one's state, database port and credentials alone.
   */
  async claim(): Promise<void> {
    await claimDevDir(this.options.dataDir);
    this.claimed = true;
    this.accounts = demoAccounts(this.options.dataDir);
  }

  /** Lets the logs through: call once the banner is printed (they come after it, never through it). */
  releaseLogs(): void {
    this.log.release();
  }

  steps(): Step[] {
    return [
      { title: this.databaseTitle(), run: () => this.startDatabase() },
      { title: 'Apply migrations', run: () => this.withDatabase(async (db) => (await import('../../db/migrator.js')).migrateLatest(db)) },
      { title: 'Seed demo data (first run only)', run: () => this.withDatabase((db) => this.seed(db)) },
      { title: 'Start the API and the delivery worker', run: () => this.startApi() },
    ];
  }

  private databaseTitle(): string {
    if (this.databaseUrl) return 'Connect to DATABASE_URL';
    const created = existsSync(join(this.options.dataDir, 'postgres', 'PG_VERSION'));
    return created ? 'Start the embedded PostgreSQL' : 'Create the embedded PostgreSQL (first run only) and start it';
  }

  private async startDatabase(): Promise<void> {
    if (this.databaseUrl) return;
    const { startEmbeddedPostgres } = await import('./embedded-postgres.js');
    this.cluster = await startEmbeddedPostgres({
      dataDir: join(this.options.dataDir, 'postgres'),
      port: () => databasePort(this.options.dataDir),
      persistent: true,
      ownSignals: true,
    });
    await this.cluster.ensureDatabase(DATABASE_NAME);
    this.databaseUrl = this.cluster.url(DATABASE_NAME);
  }

  private async withDatabase<T>(work: (db: Knex) => Promise<T>): Promise<T> {
    const { createDatabase } = await import('../../db/connection.js');
    const db = createDatabase({ url: this.databaseUrl, poolMax: 2, applicationName: 'nexus-dev' });
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  }

  /** Demo data once per database (`nexus db reset` clears the mark, so the next start seeds again); the accounts always. */
  private async seed(db: Knex): Promise<void> {
    const accounts = this.claimedAccounts();
    const { ensureDemoAccounts, holdsDemoData, seedDemo } = await import('./demo-data.js');
    if (!this.options.skipSeed && !(await holdsDemoData(db))) {
      const { users, products, seed } = this.options;
      await seedDemo(db, { users, products, seed, reviews: demoReviews(users, products), customersPassword: accounts.customer.password, accounts });
    } else {
      await ensureDemoAccounts(db, accounts);
    }
  }

  private claimedAccounts(): DemoAccounts {
    if (!this.accounts) throw new Error('LocalStack.claim() must run first');
    return this.accounts;
  }

  private async startApi(): Promise<void> {
    const jwtSecret = process.env.JWT_SECRET ?? readOrCreate(join(this.options.dataDir, 'jwt-secret'), () => randomBytes(48).toString('base64'));
    const [{ loadConfig }, { createLogger, logFormatFor }, { startServer }, { startWorker }] = await Promise.all([
      import('../../api/config/index.js'),
      import('../../api/infra/logger.js'),
      import('../../api/server.js'),
      import('../../api/worker.js'),
    ]);
    const config = loadConfig({
      ...process.env,
      NODE_ENV: process.env.NODE_ENV ?? 'development',
      DATABASE_URL: this.databaseUrl,
      HOST: this.options.host,
      PORT: String(this.options.port),
      JWT_SECRET: jwtSecret,
      LOG_LEVEL: this.options.logLevel,
      // Links in events and mail point at this stack; webhooks may reach receivers on this machine.
      PUBLIC_URL: process.env.PUBLIC_URL || `http://${publicHost(this.options.host)}:${this.options.port}`,
      WEBHOOK_ALLOW_HOSTS: process.env.WEBHOOK_ALLOW_HOSTS ?? 'localhost,127.0.0.1,::1',
    });
    const format = logFormatFor(config.log.format, { tty: process.stderr.isTTY, production: config.isProduction });
    const logger = createLogger({ level: config.log.level, format }, this.log);
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
    this.mailTransport = config.mail.transport;
    this.worker = await startWorker(config, createLogger({ level: config.log.level, name: 'nexus-worker', format }, this.log));
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
      consoleUrl: `${apiUrl}/admin/`,
      healthUrl: `${apiUrl}/health/`,
      worker: { queue: this.worker?.queue.kind ?? 'memory', mail: this.mailTransport ?? 'log' },
      database: { url: redactUrl(this.databaseUrl), embedded: Boolean(this.cluster), dataDir: this.cluster ? join(this.options.dataDir, 'postgres') : undefined },
      accounts: this.claimedAccounts(),
    };
  }

  /** Stops what started, in reverse; gives the directory up only when this stack held it. */
  async stop(): Promise<void> {
    await this.worker?.stop();
    await this.server?.stop();
    await this.cluster?.stop();
    if (this.claimed) releaseDevDir(this.options.dataDir);
  }
}
