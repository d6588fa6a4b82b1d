/** How failed deliveries (webhooks and mail) are retried: DELIVERY_RETRY_* settings. */
export interface RetryPolicy {
  windowSeconds: number;
  baseSeconds: number;
  maxSeconds: number;
}

/** What one delivery attempt came to; the worker acts on it (retry later, or done). */
export type AttemptResult =
  | { outcome: 'succeeded' }
  /** Nothing to do (subscription removed or disabled, mail already sent, event gone). */
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'retry'; reason: string; delayMs: number }
  | { outcome: 'failed'; reason: string };

/**
 * The wait before retry number `retry` (1 for the first retry): the base doubled each time, capped, with
 * ±20% jitter so that receivers recovering from an outage are not hit by every queued delivery at once.
 */
export function retryDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.baseSeconds * 2 ** Math.max(0, retry - 1), policy.maxSeconds);
  return Math.round(exponential * 1000 * (0.8 + random() * 0.4));
}

/**
 * After a failed attempt: retry after the next delay while that retry still falls inside the window that
 * began with the first attempt, else give up.
 */
export function afterFailure(policy: RetryPolicy, failure: { attempt: number; firstAttemptAt: Date; now: Date; reason: string }, random?: () => number): AttemptResult {
  const delayMs = retryDelayMs(failure.attempt, policy, random);
  const retryAt = failure.now.getTime() + delayMs;
  if (retryAt - failure.firstAttemptAt.getTime() > policy.windowSeconds * 1000) {
    return { outcome: 'failed', reason: `${failure.reason} (gave up after ${failure.attempt} attempts: the retry window of ${policy.windowSeconds} s is over)` };
  }
  return { outcome: 'retry', reason: failure.reason, delayMs };
}
