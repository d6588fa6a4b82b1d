import autocannon from 'autocannon';
import { memoryOf } from './measure';
import type { SoakWrites } from './write-flows';

export interface SoakTarget {
  variant: string;
  url: string;
  pid: number;
}

export interface SoakProcess {
  variant: string;
  /** Resident set size every few seconds, from /proc. */
  samples: { atSeconds: number; rssBytes: number }[];
  /** Highest RSS of the first and of the last third of the run. */
  firstThirdPeakBytes: number;
  lastThirdPeakBytes: number;
  growthPercent: number;
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
  /** No error, no 5xx, every checkout answered 201, and no process grew more than MAX_GROWTH_PERCENT between the first and last third. */
  steady: boolean;
}

const SAMPLE_EVERY_MS = 2_000;
export const MAX_GROWTH_PERCENT = 10;

function peak(samples: SoakProcess['samples'], from: number, to: number): number {
  return Math.max(0, ...samples.filter((sample) => sample.atSeconds >= from && sample.atSeconds <= to).map((sample) => sample.rssBytes));
}

/**
 * Mixed traffic against every API process at once for a bounded time, loopback only: reads (each connection
 * cycles through all the paths) and checkouts (`writes`), while each process's memory is sampled: a leak shows as growth from the first
 * third of the run to the last, once caches and pools have warmed up.
 */
export async function soak(
  targets: SoakTarget[],
  paths: string[],
  settings: { seconds: number; connections: number; timeoutSeconds: number },
  writes: (seconds: number) => Promise<SoakWrites>,
): Promise<SoakResult> {
  const started = Date.now();
  const samples = new Map<string, SoakProcess['samples']>(targets.map((target) => [target.variant, []]));
  const sample = () => {
    for (const target of targets) {
      const memory = memoryOf(target.pid);
      if (memory) samples.get(target.variant)?.push({ atSeconds: (Date.now() - started) / 1000, rssBytes: memory.rssBytes });
    }
  };
  sample();
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
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
    clearInterval(timer);
  }
  sample();
  const third = settings.seconds / 3;
  const processes = targets.map((target): SoakProcess => {
    const series = samples.get(target.variant) ?? [];
    const first = peak(series, 0, third);
    const last = peak(series, 2 * third, Number.POSITIVE_INFINITY);
    return { variant: target.variant, samples: series, firstThirdPeakBytes: first, lastThirdPeakBytes: last, growthPercent: first > 0 ? ((last - first) / first) * 100 : 0 };
  });
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
    steady: errors === 0 && serverErrors === 0 && Object.keys(written.unexpected).length === 0 && processes.every((process) => process.growthPercent <= MAX_GROWTH_PERCENT),
  };
}
