import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pino from 'pino';
import type { Knex } from 'knex';
import { createDatabase } from '../db/connection';
import { ConfigError, loadConfig, type Config } from './config';
import { BullJobQueue } from './infra/bullmq-queue';
import type { JobHandler, JobQueue } from './infra/job-queue';
import { createLogger, type Logger } from './infra/logger';
import { MemoryJobQueue } from './infra/memory-queue';
import { OutboxRelay, RelayLoop, retryDelayMs, type AttemptResult, type WebhookFanout } from './modules/events';
import { createWorkerServices, type WorkerOverrides } from './worker-services';

/** What the worker runs jobs with: the webhooks' delivery and the order mail. */
export interface WorkerServices {
  webhooks: WebhookFanout & { attempt(job: { eventId: string; subscriptionId: number }): Promise<AttemptResult> };
  mail: { send(job: { eventId: string }): Promise<AttemptResult> };
}

export interface RunningWorker {
  id: string;
  queue: JobQueue;
  relay: OutboxRelay;
  /** Stops relaying and taking jobs, waits for deliveries in flight, then closes the pool and Redis. */
  stop(): Promise<void>;
}

/** A job held by a worker that died is taken up again after this long (at least twice the webhook timeout). */
function lockDurationMs(config: Config): number {
  return Math.max(10_000, config.webhooks.timeoutMs * 2 + 5000);
}

function createQueue(config: Config): JobQueue {
  if (!config.redis.url) return new MemoryJobQueue();
  return new BullJobQueue({ redisUrl: config.redis.url, keyPrefix: config.redis.keyPrefix, lockDurationMs: lockDurationMs(config) });
}

/**
 * The worker's composition root (the API's is app.ts): relays the outbox into the queue and runs the
 * deliveries. Any number may run at once: the outbox is shared with row locks, the queue hands each job to one
 * worker at a time.
 */
export async function startWorker(config: Config, logger: Logger, overrides: WorkerOverrides = {}): Promise<RunningWorker> {
  const db: Knex = createDatabase({
    url: config.database.url,
    poolMax: Math.min(config.database.poolMax, config.worker.concurrency + 2),
    statementTimeoutMs: config.database.statementTimeoutMs,
    applicationName: 'nexus-worker',
    warn: (message) => logger.warn({ source: 'knex' }, message),
  });
  const services = createWorkerServices(config, db, logger, overrides);
  const queue = createQueue(config);
  if (queue.kind === 'memory') logger.warn('REDIS_URL is not set: deliveries are queued in this process and lost if it stops (development only)');
  const relay = new OutboxRelay({ db, queue, webhooks: services.webhooks });
  const id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const loop = new RelayLoop({
    db,
    relay,
    logger,
    options: { id, version: config.version, queueKind: queue.kind, pollIntervalMs: config.worker.pollIntervalMs, eventRetentionDays: config.worker.eventRetentionDays, heartbeatFile: config.worker.heartbeatFile },
  });
  const handler: JobHandler = async (kind, data) => {
    // Order mail logs its own outcome, with the order and the Message-ID: one line per attempt, not two.
    if (kind !== 'webhook') return services.mail.send(data);
    const result = await services.webhooks.attempt(data as { eventId: string; subscriptionId: number });
    const fields: Record<string, unknown> = { job: kind, ...data, outcome: result.outcome, ...('reason' in result ? { reason: result.reason } : {}) };
    if (result.outcome === 'failed') logger.warn(fields, `${String(kind)} delivery failed`);
    else logger.info(fields, `${String(kind)} delivery ${result.outcome}`);
    return result;
  };
  queue.process(handler, {
    concurrency: config.worker.concurrency,
    fallbackDelayMs: (retry) => retryDelayMs(retry, { windowSeconds: config.delivery.retryWindowSeconds, baseSeconds: config.delivery.retryBaseSeconds, maxSeconds: config.delivery.retryMaxSeconds }),
    onError: (error) => logger.error({ err: error }, 'delivery job failed unexpectedly; it will be retried'),
  });
  loop.start();
  let stopping: Promise<void> | undefined;
  return {
    id,
    queue,
    relay,
    stop() {
      stopping ??= (async () => {
        await loop.stop();
        await queue.close();
        await db.destroy();
      })();
      return stopping;
    },
  };
}

/**
 * Runs a worker until SIGTERM/SIGINT, then stops it cleanly (deliveries in flight finish) and exits. With
 * `json`, one ready line goes to stdout and the logs to stderr.
 */
export async function runWorker(config: Config, options: { json?: boolean } = {}): Promise<void> {
  // Asynchronous log writes never hold up a delivery; flushed on shutdown.
  const logger = createLogger({ level: config.log.level, name: 'nexus-worker' }, pino.destination({ dest: options.json ? 2 : 1, sync: false }));
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    logger.flush(() => process.exit(1));
  });
  const worker = await startWorker(config, logger);
  const ready = { status: 'ready', worker: worker.id, queue: worker.queue.kind, concurrency: config.worker.concurrency, version: config.version };
  if (options.json) process.stdout.write(`${JSON.stringify(ready)}\n`);
  logger.info(ready, 'nexus worker ready');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'worker shutting down: finishing deliveries in flight');
      worker.stop().then(
        () => logger.flush(() => process.exit(0)),
        (error: unknown) => {
          logger.error({ err: error }, 'worker shutdown failed');
          logger.flush(() => process.exit(1));
        },
      );
    });
  }
}

/** `node dist/api/worker.js`: settings from the environment. */
if (require.main === module) {
  try {
    void runWorker(loadConfig(process.env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`nexus-worker: ${error.message}\n`);
    process.exit(1);
  }
}
