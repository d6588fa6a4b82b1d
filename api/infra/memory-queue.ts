import { RetryLater, runJob, type JobHandler, type JobKind, type JobPayloads, type JobQueue, type QueueCounts } from './job-queue';

interface MemoryJob {
  id: string;
  kind: JobKind;
  data: JobPayloads[JobKind];
  retries: number;
}

/**
 * The queue in process memory, for `nexus dev` without REDIS_URL: the same retries, but jobs in it are lost
 * when the process stops (the outbox keeps the events; deliveries that were queued are not re-run).
 * Production refuses to run without Redis.
 */
export class MemoryJobQueue implements JobQueue {
  readonly kind = 'memory' as const;
  private readonly known = new Set<string>();
  private readonly ready: MemoryJob[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private handler?: JobHandler;
  private options?: Parameters<JobQueue['process']>[1];
  private delayed = 0;
  private closed = false;

  async add<K extends JobKind>(kind: K, data: JobPayloads[K], jobId: string): Promise<void> {
    if (this.known.has(jobId) || this.closed) return;
    this.known.add(jobId);
    this.ready.push({ id: jobId, kind, data, retries: 0 });
    this.pump();
  }

  process(handler: JobHandler, options: Parameters<JobQueue['process']>[1]): void {
    this.handler = handler;
    this.options = options;
    this.pump();
  }

  private pump(): void {
    const { handler, options } = this;
    if (!handler || !options || this.closed) return;
    while (this.running.size < options.concurrency && this.ready.length > 0) {
      const job = this.ready.shift() as MemoryJob;
      const run = this.run(handler, options, job).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async run(handler: JobHandler, options: NonNullable<MemoryJobQueue['options']>, job: MemoryJob): Promise<void> {
    try {
      await runJob(handler, job.kind, job.data);
    } catch (error) {
      if (!(error instanceof RetryLater)) options.onError(error);
      if (this.closed) return;
      job.retries += 1;
      this.delayed += 1;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.delayed -= 1;
        this.ready.push(job);
        this.pump();
      }, error instanceof RetryLater ? error.delayMs : options.fallbackDelayMs(job.retries));
      timer.unref();
      this.timers.add(timer);
    }
  }

  async counts(): Promise<QueueCounts> {
    // A job that gave up is done here (its failure is in the delivery log), never left failed in the queue.
    return { waiting: this.ready.length, active: this.running.size, delayed: this.delayed, failed: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all(this.running);
  }
}
