import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { RetryLater, runJob, type JobHandler, type JobKind, type JobPayloads, type JobQueue, type QueueCounts } from './job-queue';
import { createQueueRedis, type Redis } from './redis';

const QUEUE_NAME = 'deliveries';
/** Retries are bounded by the delivery's retry window, not by a count: the handler says when to give up. */
const UNBOUNDED_ATTEMPTS = 1_000_000;
const KEEP_FINISHED = { age: 7 * 24 * 3600, count: 100_000 };

export interface BullQueueOptions {
  redisUrl: string;
  /** Redis key prefix (REDIS_KEY_PREFIX), so several deployments can share one Redis. */
  keyPrefix: string;
  /**
   * How long a running job's lock lasts without renewal: a worker killed mid-job (SIGKILL) leaves its jobs
   * locked this long before another worker (or the restarted one) takes them again.
   */
  lockDurationMs: number;
}

/**
 * The queue in Redis (BullMQ): durable across worker restarts, shared by every worker process. A job held by
 * a worker that died is found by the stalled-job check and run again (at-least-once).
 */
export class BullJobQueue implements JobQueue {
  readonly kind = 'redis' as const;
  private readonly connections: Redis[] = [];
  private readonly queue: Queue;
  private worker?: Worker;

  constructor(private readonly options: BullQueueOptions) {
    this.queue = new Queue(QUEUE_NAME, { connection: this.connection(), prefix: this.prefix });
  }

  private get prefix(): string {
    return `${this.options.keyPrefix}bull`;
  }

  /** BullMQ needs connections that wait for Redis rather than fail commands (maxRetriesPerRequest: null). */
  private connection(): ConnectionOptions {
    const redis = createQueueRedis(this.options.redisUrl);
    redis.on('error', () => undefined);
    this.connections.push(redis);
    return redis;
  }

  async add<K extends JobKind>(kind: K, data: JobPayloads[K], jobId: string): Promise<void> {
    await this.queue.add(kind, data, {
      jobId,
      attempts: UNBOUNDED_ATTEMPTS,
      backoff: { type: 'nexus' },
      removeOnComplete: KEEP_FINISHED,
      removeOnFail: KEEP_FINISHED,
    });
  }

  process(handler: JobHandler, options: { concurrency: number; fallbackDelayMs: (retry: number) => number; onError: (error: unknown) => void }): void {
    this.worker = new Worker(QUEUE_NAME, (job: Job<JobPayloads[JobKind]>) => runJob(handler, job.name as JobKind, job.data), {
      connection: this.connection(),
      prefix: this.prefix,
      concurrency: options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.lockDurationMs,
      // A job that keeps killing its worker is given up on after this many stalls.
      maxStalledCount: 5,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) => (error instanceof RetryLater ? error.delayMs : options.fallbackDelayMs(attemptsMade)),
      },
    });
    this.worker.on('error', options.onError);
    this.worker.on('failed', (_job, error) => {
      if (!(error instanceof RetryLater)) options.onError(error);
    });
  }

  async counts(): Promise<QueueCounts> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0 };
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    for (const redis of this.connections) await redis.quit().catch(() => redis.disconnect());
  }
}
