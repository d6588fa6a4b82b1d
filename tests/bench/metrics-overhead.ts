import { measureLoad, type LoadResult, type LoadSettings } from './measure';

/** Cache-hit throughput of one path on two API processes alike but for metrics: the cost of taking them. */
export interface MetricsOverhead {
  path: string;
  /** req/s of each round, without metrics and with them (METRICS_PORT set, Prometheus scraping every second). */
  withoutMetrics: number[];
  withMetrics: number[];
  /** 1 − median(with) ÷ median(without): the share of throughput the metrics cost (negative: within noise). */
  overhead: number;
  scrapes: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/**
 * Alternates the two processes, `rounds` times each (A B A B …), so that drift in the machine's load falls on
 * both alike. While the metered process is measured, a scrape every second reads its metrics, as a Prometheus
 * server would: the cost of rendering them is part of what is measured.
 */
export async function measureMetricsOverhead(
  path: string,
  urls: { withoutMetrics: string; withMetrics: string; scrape: () => Promise<void> },
  load: LoadSettings,
  rounds = 3,
  log: (line: string) => void = () => undefined,
): Promise<MetricsOverhead> {
  const result: MetricsOverhead = { path, withoutMetrics: [], withMetrics: [], overhead: 0, scrapes: 0 };
  for (let round = 1; round <= rounds; round += 1) {
    const plain: LoadResult = await measureLoad(`${urls.withoutMetrics}${path}`, load);
    result.withoutMetrics.push(plain.requestsPerSecond);
    const scraper = setInterval(() => {
      urls.scrape().then(() => (result.scrapes += 1), () => undefined);
    }, 1000);
    const metered: LoadResult = await measureLoad(`${urls.withMetrics}${path}`, load).finally(() => clearInterval(scraper));
    result.withMetrics.push(metered.requestsPerSecond);
    log(`metrics overhead, round ${round}/${rounds}: ${plain.requestsPerSecond.toFixed(0)} req/s without, ${metered.requestsPerSecond.toFixed(0)} with`);
  }
  result.overhead = 1 - median(result.withMetrics) / median(result.withoutMetrics);
  return result;
}
