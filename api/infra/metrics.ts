import type { Knex } from 'knex';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CacheStore } from './cache-store';
import type { Redis } from './redis';

/**
 * Request durations, in seconds: this API answers cache hits in well under a millisecond and most database
 * reads in a few; the top buckets catch checkouts and uploads waiting on locks or S3.
 */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Waits for a database connection, in seconds: zero while the pool has room, long only when it is exhausted. */
const POOL_ACQUIRE_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/** What the shop did: counted by the services once the change has committed. */
export type OrderMetricEvent = 'placed' | 'paid' | 'cancelled' | 'expired';
export type PaymentOutcome = 'succeeded' | 'declined' | 'error';

/** The shop's counters as the services see them: the orders and reviews modules take this, never the registry. */
export interface ShopMetrics {
  orderChanged(event: OrderMetricEvent, order?: { total_amount: string | number; currency: string }): void;
  paymentAttempt(outcome: PaymentOutcome): void;
  stockRefused(): void;
  reviewReported(): void;
}

/**
 * The API's Prometheus registry and its instruments, one per process, passed in like the logger. The HTTP
 * middleware, the cache and pool observers and the services write to it; the metrics endpoint reads it.
 */
export class Metrics implements ShopMetrics {
  readonly registry = new Registry();
  private readonly on = [this.registry];

  readonly httpRequests = new Counter({
    name: 'nexus_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status class.',
    labelNames: ['method', 'route', 'status_class'] as const,
    registers: this.on,
  });
  readonly httpDuration = new Histogram({
    name: 'nexus_http_request_duration_seconds',
    help: 'Time from the request arriving to the response finished, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: this.on,
  });
  readonly cacheRequests = new Counter({
    name: 'nexus_cache_requests_total',
    help: 'Catalogue read-cache lookups by outcome: hit, miss, or bypass (cache unreachable or key too long).',
    labelNames: ['outcome'] as const,
    registers: this.on,
  });
  readonly cacheInvalidations = new Counter({
    name: 'nexus_cache_invalidations_total',
    help: 'Catalogue read-cache invalidations (scope generations bumped after a write).',
    registers: this.on,
  });
  readonly rateLimitRefusals = new Counter({
    name: 'nexus_rate_limit_refusals_total',
    help: 'Requests refused with 429 by a rate limiter, by limiter (reads, writes, login, register, ...).',
    labelNames: ['limiter'] as const,
    registers: this.on,
  });
  readonly redisErrors = new Counter({
    name: 'nexus_redis_errors_total',
    help: 'Redis commands that failed (errors, timeouts, lost connections), by connection.',
    labelNames: ['connection'] as const,
    registers: this.on,
  });
  readonly poolAcquire = new Histogram({
    name: 'nexus_db_pool_acquire_seconds',
    help: 'Time a query waited for a database connection from the pool.',
    buckets: POOL_ACQUIRE_BUCKETS,
    registers: this.on,
  });
  readonly orders = new Counter({
    name: 'nexus_orders_total',
    help: 'Orders by what happened to them: placed, paid, cancelled (by a customer or staff), expired (payment deadline).',
    labelNames: ['event'] as const,
    registers: this.on,
  });
  readonly revenue = new Counter({
    name: 'nexus_revenue_total',
    help: 'Sum of the totals of orders paid, in the currency named by the label (refunds are not subtracted).',
    labelNames: ['currency'] as const,
    registers: this.on,
  });
  readonly paymentAttempts = new Counter({
    name: 'nexus_payment_attempts_total',
    help: 'Charges asked of the payment provider, by outcome: succeeded, declined, error (the provider failed).',
    labelNames: ['outcome'] as const,
    registers: this.on,
  });
  readonly stockRefusals = new Counter({
    name: 'nexus_stock_refusals_total',
    help: 'Checkouts refused because a product had too little stock.',
    registers: this.on,
  });
  readonly reviewReports = new Counter({
    name: 'nexus_review_reports_total',
    help: 'Review reports opened by customers.',
    registers: this.on,
  });

  constructor() {
    for (const outcome of ['hit', 'miss', 'bypass']) this.cacheRequests.inc({ outcome }, 0);
    for (const event of ['placed', 'paid', 'cancelled', 'expired']) this.orders.inc({ event }, 0);
    for (const outcome of ['succeeded', 'declined', 'error']) this.paymentAttempts.inc({ outcome }, 0);
  }

  /** Node's process metrics (CPU, memory, handles, GC, event-loop lag): only for a process that exposes them. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    // Gauges named like counters, which `promtool check metrics` flags; the same figures are there by type.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }

  /** Connections in use, idle and awaited, and how long queries wait for one (knex's tarn pool). */
  observeDatabasePool(db: Knex): void {
    const pool = (db.client as { pool?: TarnPool }).pool;
    if (!pool) return;
    // Registered with the registry, which reads it on every scrape.
    new Gauge({
      name: 'nexus_db_pool_connections',
      help: 'Database pool connections: in use, idle, and queries waiting for one (pending).',
      labelNames: ['state'] as const,
      registers: this.on,
      collect() {
        this.set({ state: 'used' }, pool.numUsed());
        this.set({ state: 'idle' }, pool.numFree());
        this.set({ state: 'pending' }, pool.numPendingAcquires());
      },
    });
    const started = new Map<number, bigint>();
    pool.on('acquireRequest', (id) => started.set(id, process.hrtime.bigint()));
    const finished = (id: number) => {
      const start = started.get(id);
      if (start === undefined) return;
      started.delete(id);
      this.poolAcquire.observe(Number(process.hrtime.bigint() - start) / 1e9);
    };
    pool.on('acquireSuccess', finished);
    pool.on('acquireFail', finished);
  }

  /** Counts every failed command of this client (ioredis has no hook for it, so each command's promise is watched). */
  observeRedis(client: Redis, connection: string): void {
    const errors = this.redisErrors.labels({ connection });
    errors.inc(0);
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command, stream) => {
      (command as { promise?: Promise<unknown> }).promise?.catch(() => errors.inc());
      return send(command, stream);
    });
  }

  /** The same store, counting each invalidation (a bump of scope generations after a write). */
  countInvalidations(store: CacheStore): CacheStore {
    const counted = Object.create(store) as CacheStore;
    counted.bump = async (scopes) => {
      await store.bump(scopes);
      this.cacheInvalidations.inc();
    };
    return counted;
  }

  orderChanged(event: OrderMetricEvent, order?: { total_amount: string | number; currency: string }): void {
    this.orders.inc({ event });
    if (event === 'paid' && order) this.revenue.inc({ currency: order.currency }, Number(order.total_amount));
  }

  paymentAttempt(outcome: PaymentOutcome): void {
    this.paymentAttempts.inc({ outcome });
  }

  stockRefused(): void {
    this.stockRefusals.inc();
  }

  reviewReported(): void {
    this.reviewReports.inc();
  }
}

/** The part of tarn's pool (knex's) that the gauges read. */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  on(event: 'acquireRequest' | 'acquireSuccess' | 'acquireFail', listener: (id: number) => void): void;
}
