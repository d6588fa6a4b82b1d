import type { AttemptResult } from '../modules/events';

/** The jobs the worker runs, by kind, with what each carries. */
export interface JobPayloads {
  webhook: { eventId: string; subscriptionId: number };
  mail: { eventId: string };
}
export type JobKind = keyof JobPayloads;

export type JobHandler = <K extends JobKind>(kind: K, data: JobPayloads[K]) => Promise<AttemptResult>;

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/**
 * The delivery queue between the outbox relay and the senders. Adding a job whose id is already queued (or
 * was completed recently) does nothing, so a relay that runs twice over the same events queues each job once.
 */
export interface JobQueue {
  readonly kind: 'redis' | 'memory';
  add<K extends JobKind>(kind: K, data: JobPayloads[K], jobId: string): Promise<void>;
  /** Starts running jobs with `handler`; a `retry` result runs the job again after its delay. */
  process(handler: JobHandler, options: { concurrency: number; fallbackDelayMs: (retry: number) => number; onError: (error: unknown) => void }): void;
  counts(): Promise<QueueCounts>;
  /** Stops taking jobs and waits for those in flight (they finish, or go back to the queue if the process dies). */
  close(): Promise<void>;
}

/** Thrown by a job to have the queue run it again after `delayMs`. */
export class RetryLater extends Error {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'RetryLater';
  }
}

/** Runs one job with the handler and turns a `retry` result into the queue's retry. */
export async function runJob<K extends JobKind>(handler: JobHandler, kind: K, data: JobPayloads[K]): Promise<AttemptResult> {
  const result = await handler(kind, data);
  if (result.outcome === 'retry') throw new RetryLater(result.delayMs, result.reason);
  return result;
}
