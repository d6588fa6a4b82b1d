import type { Knex } from 'knex';
import type { KeyValueStore } from '../../infra/kv-store';
import { outboxState, type OutboxState } from '../events';

export const SERVICE_NAME = 'nexus-api';
const CHECK_TIMEOUT_MS = 2000;

export type CheckStatus = 'healthy' | 'unhealthy';

export interface CheckResult {
  status: CheckStatus;
  latency_ms: number;
}

export interface HealthDeps {
  db: Knex;
  kv: KeyValueStore;
  version: string;
  environment: string;
  /** Names of migrations present in the release but not applied to the database. */
  pendingMigrations: () => Promise<string[]>;
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('health check timed out')), CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function timed(check: () => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  try {
    await withTimeout(check());
    return { status: 'healthy', latency_ms: Math.round((performance.now() - started) * 100) / 100 };
  } catch {
    return { status: 'unhealthy', latency_ms: Math.round(performance.now() - started) };
  }
}

/** Probes of the API's dependencies, each bounded by a timeout so a hung dependency cannot hang the probe. */
export class HealthService {
  constructor(private readonly deps: HealthDeps) {}

  get version(): string {
    return this.deps.version;
  }

  get environment(): string {
    return this.deps.environment;
  }

  get cacheBackend(): 'redis' | 'memory' {
    return this.deps.kv.kind;
  }

  database(): Promise<CheckResult> {
    return timed(() => this.deps.db.raw('SELECT 1'));
  }

  /** Writes and reads back a short-lived key, as the old health check did. */
  cache(): Promise<CheckResult> {
    return timed(async () => {
      await this.deps.kv.set('health:probe', 'ok', 10);
      if ((await this.deps.kv.get('health:probe')) !== 'ok') throw new Error('cache read-back mismatch');
    });
  }

  /** The delivery worker: how many are alive and how far the outbox relay is behind (undefined: not known). */
  async events(): Promise<OutboxState | undefined> {
    try {
      return await withTimeout(outboxState(this.deps.db));
    } catch {
      return undefined;
    }
  }

  /** @returns the pending migrations, or undefined when the database could not be asked */
  async pendingMigrations(): Promise<string[] | undefined> {
    try {
      return await withTimeout(this.deps.pendingMigrations());
    } catch {
      return undefined;
    }
  }
}
