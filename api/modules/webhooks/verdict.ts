import type { PostOutcome } from './http-post';

/** What one attempt's answer means for the delivery. */
export type Verdict =
  | { kind: 'succeeded' }
  /** The receiver refused this event for good (a 4xx): retrying would get the same answer. */
  | { kind: 'rejected'; reason: string }
  /** Worth another try later: 5xx, 408, 429, a redirect, a timeout, no connection. */
  | { kind: 'retryable'; reason: string };

/**
 * Stripe's and Shopify's reading of an answer: 2xx is delivered; 408 (timeout) and 429 (slow down) are
 * temporary like 5xx; any other 4xx says the receiver will not take it; a redirect is never followed (it could
 * lead anywhere), so it counts as a failure to retry, in case the receiver is fixed in the meantime.
 */
export function judgeAnswer(outcome: PostOutcome): Verdict {
  if (outcome.kind === 'no_answer') return { kind: 'retryable', reason: outcome.error };
  const status = outcome.statusCode;
  if (status >= 200 && status < 300) return { kind: 'succeeded' };
  if (status >= 300 && status < 400) return { kind: 'retryable', reason: `HTTP ${status}: redirect${outcome.location ? ` to ${outcome.location}` : ''} not followed` };
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return { kind: 'rejected', reason: `HTTP ${status}` };
  return { kind: 'retryable', reason: `HTTP ${status}` };
}
