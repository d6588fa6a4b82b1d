import autocannon from 'autocannon';
import type { HeapProbe } from './heap-probe';
import { memoryOf } from './measure';
import type { SoakWrites } from './write-flows';

export interface SoakTarget {
  variant: string;
  url: string;
  pid: number;
  /** The process's inspector, for its live heap; without one only RSS is watched. */
  heap?: HeapProbe;
}

export interface Sample {
  atSeconds: number;
  bytes: number;
}

/** One memory series of a process and its level in the first and the last third of the run. */
export interface MemoryTrend {
  samples: Sample[];
  /** Median of the samples of the first and of the last third: the level, not a momentary spike. */
  firstThirdBytes: number;
  lastThirdBytes: number;
  growthPercent: number;
  peakBytes: number;
}

export interface SoakProcess {
  variant: string;
  /** Resident set size every 2 s, from /proc. */
  rss: MemoryTrend;
  /** JavaScript heap in use right after a full garbage collection, six times in the run (HEAP_AT); null without an inspector. */
  liveHeap: MemoryTrend | null;
}

export interface SoakResult {
  seconds: number;
  connections: number;
  paths: string[];
  requests: number;
  /** Connection errors and timeouts. */
  errors: number;
  serverErrors: number;
  non2xx: number;
  processes: SoakProcess[];
  /** Checkouts sent at the same time as the reads. */
  writes: SoakWrites;
  /** Why a live heap could not be read, when it could not. */
  heapErrors: string[];
  /** No error, no 5xx, every checkout answered 201, and no process's RSS or live heap level grew more than MAX_GROWTH_PERCENT from the first third to the last. */
  steady: boolean;
}

const RSS_EVERY_MS = 2_000;
/**
 * When the live heap is read, as fractions of the run: three times in the first third and three in the last, all
 * under load. Each reading is a full collection that stops the process for a moment, so there are only six.
 */
const HEAP_AT = [0.08, 0.18, 0.28, 0.72, 0.82, 0.92];
export const MAX_GROWTH_PERCENT = 10;

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Peaks say little about leaks: an uncached process answering a few full-text searches at once jumps by tens of MB
 * and falls back within seconds. The median of each third is the level the process settles at between such bursts.
 */
export function trendOf(samples: Sample[], seconds: number): MemoryTrend {
  const third = seconds / 3;
  const level = (from: number, to: number) => median(samples.filter((sample) => sample.atSeconds >= from && sample.atSeconds <= to).map((sample) => sample.bytes));
  const firstThirdBytes = level(0, third);
  const lastThirdBytes = level(2 * third, Number.POSITIVE_INFINITY);
  return {
    samples,
    firstThirdBytes,
    lastThirdBytes,
    growthPercent: firstThirdBytes > 0 ? ((lastThirdBytes - firstThirdBytes) / firstThirdBytes) * 100 : Number.NaN,
    peakBytes: Math.max(0, ...samples.map((sample) => sample.bytes)),
  };
}

/** A growth that could not be measured (no sample in a third) is not steady either. */
const withinLimit = (trend: MemoryTrend | null) => trend === null || trend.growthPercent <= MAX_GROWTH_PERCENT;

/**
 * Mixed traffic against every API process at once for a bounded time, loopback only: reads (each connection
 * cycles through all the paths) and checkouts (`writes`), while each process's memory is sampled: a leak shows as
 * growth from the first third of the run to the last, once caches and pools have warmed up.
 */
export async function soak(
  targets: SoakTarget[],
  paths: string[],
  settings: { seconds: number; connections: number; timeoutSeconds: number },
  writes: (seconds: number) => Promise<SoakWrites>,
): Promise<SoakResult> {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const rss = new Map<string, Sample[]>(targets.map((target) => [target.variant, []]));
  const heap = new Map<string, Sample[]>(targets.map((target) => [target.variant, []]));
  const heapErrors: string[] = [];
  const sampleRss = () => {
    for (const target of targets) {
      const memory = memoryOf(target.pid);
      if (memory) rss.get(target.variant)?.push({ atSeconds: elapsed(), bytes: memory.rssBytes });
    }
  };
  const sampleHeap = async () => {
    for (const target of targets) {
      if (!target.heap) continue;
      try {
        const bytes = await target.heap.liveHeapBytes();
        heap.get(target.variant)?.push({ atSeconds: elapsed(), bytes });
      } catch (error) {
        heapErrors.push(`${target.variant}: ${(error as Error).message}`);
      }
    }
  };
  const heapSampling: Promise<void>[] = [];
  sampleRss();
  const timers = [
    setInterval(sampleRss, RSS_EVERY_MS),
    ...HEAP_AT.map((fraction) => setTimeout(() => heapSampling.push(sampleHeap()), fraction * settings.seconds * 1000)),
  ];
  const perTarget = Math.max(1, Math.floor(settings.connections / targets.length));
  let results: autocannon.Result[];
  let written: SoakWrites;
  try {
    [written, ...results] = await Promise.all([
      writes(settings.seconds),
      ...targets.map((target) =>
        autocannon({ url: target.url, connections: perTarget, duration: settings.seconds, timeout: settings.timeoutSeconds, pipelining: 1, requests: paths.map((path) => ({ method: 'GET', path })) }),
      ),
    ]);
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
  sampleRss();
  await Promise.all(heapSampling);
  const processes = targets.map((target): SoakProcess => ({
    variant: target.variant,
    rss: trendOf(rss.get(target.variant) ?? [], settings.seconds),
    liveHeap: target.heap ? trendOf(heap.get(target.variant) ?? [], settings.seconds) : null,
  }));
  const sum = (pick: (result: autocannon.Result) => number) => results.reduce((total, result) => total + pick(result), 0);
  const errors = sum((result) => result.errors + result.timeouts);
  const serverErrors = sum((result) => result['5xx']);
  return {
    seconds: settings.seconds,
    connections: perTarget * targets.length,
    paths,
    requests: sum((result) => result['2xx'] + result.non2xx),
    errors,
    serverErrors,
    non2xx: sum((result) => result.non2xx),
    processes,
    writes: written,
    heapErrors,
    steady:
      errors === 0 &&
      serverErrors === 0 &&
      heapErrors.length === 0 &&
      Object.keys(written.unexpected).length === 0 &&
      processes.every((process) => withinLimit(process.rss) && withinLimit(process.liveHeap)),
  };
}
