import { MemoryJobQueue } from '../../../api/infra/memory-queue';
import type { AttemptResult } from '../../../api/modules/events';

/** The in-process queue `nexus dev` uses without Redis: the same contract as the BullMQ one, minus durability. */
describe('the in-process job queue', () => {
  const options = (errors: unknown[] = []) => ({ concurrency: 2, fallbackDelayMs: () => 20, onError: (error: unknown) => errors.push(error) });

  it('When a job is added twice under one id, then it runs once', async () => {
    const queue = new MemoryJobQueue();
    const runs: string[] = [];
    queue.process(async (_kind, data) => {
      runs.push(data.eventId);
      return { outcome: 'succeeded' };
    }, options());
    await queue.add('mail', { eventId: 'a' }, 'mail_a');
    await queue.add('mail', { eventId: 'a' }, 'mail_a');
    await queue.add('mail', { eventId: 'b' }, 'mail_b');
    await queue.close();
    expect(runs.sort()).toEqual(['a', 'b']);
  });

  it('When a job asks to be retried, then it runs again after its delay until it succeeds; an unexpected error retries after the fallback delay', async () => {
    const queue = new MemoryJobQueue();
    const errors: unknown[] = [];
    const times: number[] = [];
    const started = Date.now();
    const results: (AttemptResult | Error)[] = [{ outcome: 'retry', reason: 'busy', delayMs: 60 }, new Error('database down'), { outcome: 'succeeded' }];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    queue.process(async () => {
      times.push(Date.now() - started);
      const next = results.shift() as AttemptResult | Error;
      if (next instanceof Error) throw next;
      if (next.outcome === 'succeeded') done();
      return next;
    }, options(errors));
    await queue.add('webhook', { eventId: 'e', subscriptionId: 1 }, 'wh_e_1');
    await finished;
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(55);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(15);
    expect(errors).toEqual([expect.objectContaining({ message: 'database down' })]);
    await queue.close();
  });

  it('When the queue closes during a job, then close waits for it, and jobs added after close never run', async () => {
    const queue = new MemoryJobQueue();
    let finished = false;
    queue.process(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      finished = true;
      return { outcome: 'succeeded' };
    }, options());
    await queue.add('mail', { eventId: 'slow' }, 'mail_slow');
    await new Promise((resolve) => setTimeout(resolve, 10));
    await queue.close();
    expect(finished).toBe(true);
    await queue.add('mail', { eventId: 'late' }, 'mail_late');
    expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  });
});
