import type { BenchData, BenchDatabase } from './database';
import { MAX_P99_MS, type BenchEndpoint } from './endpoints';
import { FRESH_READY_LIMIT_MS, HELP_COLD_LIMIT_MS, type FreshCloneResult } from './fresh-clone';
import type { ColdStart, LoadResult, LoadSettings } from './measure';
import type { MetricsOverhead } from './metrics-overhead';
import { MAX_GROWTH_PERCENT, type MemoryTrend, type SoakResult } from './soak';
import type { WriteFlowResult } from './write-flows';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  loadAverageBefore: number[];
  loadAverageAfter?: number[];
  node: string;
  kernel: string;
  postgres: string;
  postgresSource: string;
  redis: string;
  redisSource: string;
}

export interface EndpointResult extends BenchEndpoint {
  api: LoadResult;
  ceiling: LoadResult;
  /** API req/s ÷ ceiling req/s. */
  ratio: number;
  /** X-Cache seen on a request right after the warm-up (HIT expected with the cache on, BYPASS with it off). */
  xCache: string | null;
  bodyBytes: number;
}

export interface ApiMemory {
  variant: 'cached' | 'uncached';
  /** VmRSS once ready, before any load. */
  idleRssBytes: number;
  /** VmHWM at the end: the highest resident set over the process's life. */
  peakRssBytes: number;
  logBytes: number;
}

export interface Target {
  target: string;
  measured: string;
  met: boolean;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  data: Omit<BenchDatabase, 'url' | 'settings' | 'serverVersion'> & BenchData & { seed: number; requestedProducts: number };
  settings: LoadSettings & {
    pipelining: number;
    /** Commit of the code under test, `+changes` when the work tree differs. */
    code: string;
    build: string;
    api: Record<string, string>;
    postgres: Record<string, string>;
  };
  endpoints: EndpointResult[];
  writeFlows: WriteFlowResult[];
  /** Cache-hit throughput without and with metrics; null when no cached endpoint ran. */
  metricsOverhead: MetricsOverhead | null;
  /** Mixed reads on both API processes at once, memory sampled; null when skipped (--soak 0). */
  soak: SoakResult | null;
  memory: ApiMemory[];
  cli: ColdStart[];
  /** The README's first command on fresh clones (empty with --fresh-clone 0). */
  freshClones: FreshCloneResult[];
  targets: Target[];
  notes: string[];
}

const MB = 1024 * 1024;
const RSS_LIMIT_BYTES = 250 * MB;
const CLI_LIMIT_MS = 400;

const int = (value: number) => Math.round(value).toLocaleString('en-US');
const pct = (value: number) => `${(value * 100).toFixed(0)}%`;
const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
const mark = (met: boolean) => (met ? '✅' : '❌');

function renderMetricsOverhead(overhead: MetricsOverhead | null): string[] {
  if (!overhead) return [];
  return [
    `Metrics (\`${overhead.path}\`, cache hits; the cached process against one alike but for METRICS_PORT, scraped every second: ${overhead.scrapes} scrapes; rounds alternate):`,
    '',
    table(
      ['process', 'req/s per round'],
      [
        ['without metrics', overhead.withoutMetrics.map(int).join(', ')],
        ['with metrics', overhead.withMetrics.map(int).join(', ')],
      ],
    ),
    '',
    `Cost of metrics: **${(overhead.overhead * 100).toFixed(1)}%** of cache-hit throughput (medians; a negative figure is noise).`,
    '',
  ];
}

function renderSoak(soak: SoakResult | null): string[] {
  if (!soak) return [];
  const level = (trend: MemoryTrend | null, pick: (trend: MemoryTrend) => string) => (trend ? pick(trend) : 'not read');
  const growth = (trend: MemoryTrend) => `${trend.growthPercent.toFixed(1)}%`;
  return [
    `Soak: ${soak.seconds} s against both API processes at once: mixed reads (${soak.paths.length} paths, cycled per connection, ${soak.connections} connections) and ` +
      `${soak.writes.shoppers} shoppers checking out, spread over both. ${int(soak.requests)} reads (${soak.errors} errors/timeouts, ${soak.serverErrors} 5xx, ${int(soak.non2xx)} non-2xx), ` +
      `${int(soak.writes.operations)} checkouts (${Object.entries(soak.writes.unexpected).map(([status, count]) => `${status} × ${count}`).join(', ') || 'all 201'}). ` +
      `${soak.steady ? 'Steady' : 'NOT steady'} (limit ${MAX_GROWTH_PERCENT}% growth of each level, the median of the first third of the run against that of the last; ` +
      `RSS every 2 s, live heap = JavaScript heap in use right after a full garbage collection):`,
    '',
    table(
      ['API process', 'RSS level, first → last third', 'RSS growth', 'RSS peak', 'live heap, first → last third', 'live heap growth', 'samples (RSS / heap)'],
      soak.processes.map((process) => [
        `cache ${process.variant === 'cached' ? 'on' : 'off'}`,
        `${mb(process.rss.firstThirdBytes)} → ${mb(process.rss.lastThirdBytes)}`,
        growth(process.rss),
        mb(process.rss.peakBytes),
        level(process.liveHeap, (trend) => `${mb(trend.firstThirdBytes)} → ${mb(trend.lastThirdBytes)}`),
        level(process.liveHeap, growth),
        `${process.rss.samples.length} / ${process.liveHeap?.samples.length ?? 0}`,
      ]),
    ),
    ...(soak.heapErrors.length > 0 ? ['', `Live heap not read: ${soak.heapErrors.join('; ')}`] : []),
    '',
  ];
}

function renderFreshClones(clones: FreshCloneResult[]): string[] {
  if (clones.length === 0) return [];
  return [
    'Fresh clone (git clone of this checkout, node_modules as `npm install` leaves them, its build timed apart), then the README\'s first command until `/health/` answers 200:',
    '',
    table(
      ['command', 'build', 'to /health/', 'first output', 'longest silence', 'first --help', 'later --help (median)', 'npx nexus --help, 1st / 2nd'],
      clones.map((clone) => [
        `\`${clone.command}\``,
        `${clone.buildSeconds.toFixed(1)} s`,
        `${(clone.readyMs / 1000).toFixed(1)} s`,
        `${int(clone.firstOutputMs)} ms`,
        `${(clone.longestSilenceMs / 1000).toFixed(1)} s`,
        `${int(clone.helpColdMs)} ms`,
        `${int(clone.helpWarmMedianMs)} ms`,
        `${int(clone.npxFirstMs)} / ${int(clone.npxSecondMs)} ms${clone.npxRebuilt ? ' (REBUILT)' : ''}`,
      ]),
    ),
    '',
  ];
}

/** Every target of DESIGN.md §8 and the issue, evaluated against this run. */
export function evaluateTargets(endpoints: EndpointResult[], memory: ApiMemory[], cli: ColdStart[], freshClones: FreshCloneResult[] = []): Target[] {
  const targets: Target[] = [];
  for (const row of endpoints) {
    if (row.minRatio === undefined) continue;
    targets.push({
      target: `${row.name} (${row.variant}) ≥ ${pct(row.minRatio)} of the ceiling's req/s`,
      measured: `${pct(row.ratio)} (${int(row.api.requestsPerSecond)} vs ${int(row.ceiling.requestsPerSecond)} req/s)`,
      met: row.ratio >= row.minRatio,
    });
  }
  const slow = endpoints.filter((row) => row.api.latencyP99Ms >= MAX_P99_MS);
  const worst = endpoints.reduce<EndpointResult | undefined>((max, row) => (!max || row.api.latencyP99Ms > max.api.latencyP99Ms ? row : max), undefined);
  targets.push({
    target: `p99 < ${MAX_P99_MS} ms on every read endpoint (catalogue and reviews), cached and uncached`,
    measured: slow.length
      ? `${slow.length} of ${endpoints.length} at or above: ${slow.map((row) => `${row.name} (${row.variant}) ${row.api.latencyP99Ms} ms`).join('; ')}`
      : `worst ${worst ? `${worst.api.latencyP99Ms} ms (${worst.name}, ${worst.variant})` : 'n/a'}`,
    met: slow.length === 0 && endpoints.length > 0,
  });
  for (const api of memory) {
    targets.push({ target: `API peak RSS < ${mb(RSS_LIMIT_BYTES)} (cache ${api.variant === 'cached' ? 'on' : 'off'})`, measured: mb(api.peakRssBytes), met: api.peakRssBytes < RSS_LIMIT_BYTES });
  }
  for (const run of cli) {
    targets.push({ target: `CLI cold start \`${run.command}\` median < ${CLI_LIMIT_MS} ms`, measured: `${int(run.medianMs)} ms (min ${int(run.minMs)}, max ${int(run.maxMs)})`, met: run.medianMs < CLI_LIMIT_MS });
  }
  for (const clone of freshClones) {
    targets.push({
      target: `fresh clone: \`${clone.command}\` to /health/ answering < ${FRESH_READY_LIMIT_MS / 1000} s, with progress`,
      measured: `${(clone.readyMs / 1000).toFixed(1)} s (longest silence ${(clone.longestSilenceMs / 1000).toFixed(1)} s)`,
      met: clone.readyMs < FRESH_READY_LIMIT_MS,
    });
    targets.push({ target: `fresh clone: first \`nexus --help\` < ${HELP_COLD_LIMIT_MS} ms`, measured: `${int(clone.helpColdMs)} ms`, met: clone.helpColdMs < HELP_COLD_LIMIT_MS });
    targets.push({ target: 'fresh clone: `npx nexus` does not rebuild', measured: clone.npxRebuilt ? 'rebuilt dist/' : `no rebuild (${int(clone.npxFirstMs)} ms, then ${int(clone.npxSecondMs)} ms)`, met: !clone.npxRebuilt });
  }
  return targets;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderEndpointTable(endpoints: EndpointResult[]): string {
  return table(
    ['endpoint', 'path (under /api/v1)', 'variant', 'req/s', 'p50 ms', 'p99 ms', 'errors / non-2xx', 'KB/s', 'ceiling req/s', 'ceiling p99 ms', 'API/ceiling'],
    endpoints.map((row) => [
      row.name,
      `\`${row.path}\``,
      row.variant + (row.xCache ? ` (${row.xCache})` : ''),
      int(row.api.requestsPerSecond),
      String(row.api.latencyP50Ms),
      `${row.api.latencyP99Ms}${row.api.latencyP99Ms >= MAX_P99_MS ? ' ❌' : ''}`,
      `${row.api.errors} / ${row.api.non2xx}`,
      int(row.api.bytesPerSecond / 1024),
      int(row.ceiling.requestsPerSecond),
      String(row.ceiling.latencyP99Ms),
      pct(row.ratio) + (row.minRatio !== undefined ? ` ${mark(row.ratio >= row.minRatio)} (≥ ${pct(row.minRatio)})` : ''),
    ]),
  );
}

export function renderMarkdown(results: BenchResults): string {
  const { machine, data, settings } = results;
  const seeded = data.reused ? 'reused from an earlier run' : `seeded in ${data.seedSeconds?.toFixed(1)} s, VACUUM ANALYZE ${data.analyzeSeconds?.toFixed(1)} s`;
  const lines = [
    `# nexus benchmark, ${results.startedAt}`,
    '',
    `**Data:** ${int(data.counts.products)} products (${int(data.counts.activeProducts)} active), ${data.counts.categories} categories, ${int(data.counts.users)} users, ${int(data.counts.reviews)} reviews; ` +
      `database \`${data.name}\` (${mb(data.sizeBytes)}), seed ${data.seed}, ${seeded}.`,
    `Search word "${data.searchWord.word}" (in ${int(data.searchWord.titles)} active titles); department \`${data.department.slug}\` (${int(data.department.products)} products); product ${data.product.id} / \`${data.product.slug}\` (${int(data.product.reviews)} reviews, average rating ${data.product.averageRating}).`,
    '',
    `**Machine:** ${machine.cpuModel}, ${machine.cores} cores, ${(machine.totalMemoryBytes / 1024 ** 3).toFixed(1)} GiB; load average before ${machine.loadAverageBefore.map((n) => n.toFixed(2)).join(' / ')}` +
      (machine.loadAverageAfter ? `, after ${machine.loadAverageAfter.map((n) => n.toFixed(2)).join(' / ')}` : '') +
      `; Linux ${machine.kernel}; Node ${machine.node}; PostgreSQL ${machine.postgres} (${machine.postgresSource}); Redis ${machine.redis} (${machine.redisSource}).`,
    '',
    `**Settings:** autocannon on the same machine, ${settings.connections} connections, pipelining ${settings.pipelining}, ${settings.warmupSeconds} s warm-up then ${settings.durationSeconds} s measured per endpoint, one endpoint at a time; ` +
      `API = \`node dist/api/server.js\` (${Object.entries(settings.api).map(([name, value]) => `${name}=${value}`).join(', ')}), cached: CATALOG_CACHE_TTL=300, uncached: CATALOG_CACHE_TTL=0; ` +
      `ceiling = bare node:http serving the same body and content-type from memory. Code ${settings.code}, ${settings.build}. PostgreSQL: ${Object.entries(settings.postgres).map(([name, value]) => `${name}=${value}`).join(', ')}.`,
    '',
    renderEndpointTable(results.endpoints),
    '',
    'Writes (the cache-off API process; each shopper sends its next request when the last one is answered; no ceiling: the work is the database\'s):',
    '',
    table(
      ['write flow', 'shoppers', 'ops/s', 'p50 ms', 'p99 ms', 'operations', 'unexpected statuses'],
      results.writeFlows.map((flow) => [
        flow.name,
        String(flow.shoppers),
        int(flow.operationsPerSecond),
        flow.latencyP50Ms.toFixed(1),
        flow.latencyP99Ms.toFixed(1),
        int(flow.operations),
        Object.entries(flow.unexpected).map(([status, count]) => `${status} × ${count}`).join(', ') || 'none',
      ]),
    ),
    '',
    ...renderMetricsOverhead(results.metricsOverhead),
    ...renderSoak(results.soak),
    table(
      ['API process', 'RSS when ready', 'peak RSS (VmHWM)', 'access log written'],
      results.memory.map((api) => [`cache ${api.variant === 'cached' ? 'on' : 'off'}`, mb(api.idleRssBytes), mb(api.peakRssBytes), mb(api.logBytes)]),
    ),
    '',
    table(
      ['CLI cold start', 'median', 'min', 'max', 'runs (ms)'],
      results.cli.map((run) => [`\`${run.command}\``, `${int(run.medianMs)} ms`, `${int(run.minMs)} ms`, `${int(run.maxMs)} ms`, run.runsMs.map(int).join(', ')]),
    ),
    '',
    ...renderFreshClones(results.freshClones),
    '## Targets',
    '',
    table(['target', 'measured', 'met'], results.targets.map((target) => [target.target, target.measured, mark(target.met)])),
  ];
  if (results.notes.length > 0) lines.push('', '## Notes', '', ...results.notes.map((note) => `- ${note}`));
  return `${lines.join('\n')}\n`;
}
