import type { Sample } from './prometheus-text';

/** The API's metric names (api/infra/metrics.ts) and prom-client's default process metric. */
export const REQUESTS_TOTAL = 'nexus_http_requests_total';
export const DURATION_BUCKET = 'nexus_http_request_duration_seconds_bucket';
export const PROCESS_START = 'process_start_time_seconds';

/** A few numbers about one API process, all counted since it started (the counters' whole life). */
export interface HeadlineMetrics {
  /** Requests answered since the process started. */
  requests: number;
  /** requests / seconds since the process started: an average over its life, not the current rate. */
  requestsPerSecond: number | null;
  /** Share (0–1) of those requests answered with a 5xx status; null before the first request. */
  serverErrorRatio: number | null;
  /** The 99th percentile of request durations in seconds, estimated from the histogram's buckets over every route. */
  p99Seconds: number | null;
  /** When the process started (ISO 8601); null when it does not export process_start_time_seconds. */
  since: string | null;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * The q-quantile of a cumulative histogram, as Prometheus's histogram_quantile() estimates it: linear
 * interpolation inside the bucket the rank falls in (from 0 for the first). A rank in the +Inf bucket gives the
 * highest finite bound (all that is known is "more than that"). @returns null when nothing was observed
 */
export function quantileFromBuckets(q: number, buckets: readonly { le: number; count: number }[]): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.le === Infinity ? (sorted.at(-1)?.count ?? 0) : 0;
  if (total <= 0) return null;
  const rank = q * total;
  const index = sorted.findIndex((bucket) => bucket.count >= rank);
  const bucket = sorted[index] as { le: number; count: number };
  if (bucket.le === Infinity) return sorted.length > 1 ? (sorted[sorted.length - 2] as { le: number }).le : null;
  const previous = index > 0 ? (sorted[index - 1] as { le: number; count: number }) : { le: 0, count: 0 };
  if (bucket.count === previous.count) return bucket.le;
  return previous.le + ((bucket.le - previous.le) * (rank - previous.count)) / (bucket.count - previous.count);
}

/** Sums a histogram's `_bucket` series over all their other labels (every route and method), per `le`. */
function summedBuckets(samples: readonly Sample[], name: string): { le: number; count: number }[] {
  const byBound = new Map<number, number>();
  for (const sample of samples) {
    if (sample.name !== name || sample.labels.le === undefined) continue;
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    if (!Number.isNaN(le)) byBound.set(le, (byBound.get(le) ?? 0) + sample.value);
  }
  return [...byBound].map(([le, count]) => ({ le, count }));
}

/**
 * Requests per second (averaged since the process started), the 5xx share and p99 from one scrape.
 * @param scrapedAt when the scrape was taken, in seconds since the epoch (the host's clock, as the process's start)
 */
export function headlineMetrics(samples: readonly Sample[], scrapedAt: number): HeadlineMetrics {
  const requests = samples.filter((sample) => sample.name === REQUESTS_TOTAL);
  const total = requests.reduce((sum, sample) => sum + sample.value, 0);
  const errors = requests.filter((sample) => sample.labels.status_class === '5xx').reduce((sum, sample) => sum + sample.value, 0);
  const start = samples.find((sample) => sample.name === PROCESS_START)?.value;
  const elapsed = start === undefined ? 0 : scrapedAt - start;
  const p99 = quantileFromBuckets(0.99, summedBuckets(samples, DURATION_BUCKET));
  return {
    requests: total,
    requestsPerSecond: elapsed > 0 ? round(total / elapsed, 3) : null,
    serverErrorRatio: total > 0 ? round(errors / total, 4) : null,
    p99Seconds: p99 === null ? null : round(p99, 4),
    since: start === undefined ? null : new Date(start * 1000).toISOString(),
  };
}
