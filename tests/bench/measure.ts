import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** A request slower than this counts as a timeout (an error). */
  timeoutSeconds: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyAverageMs: number;
  latencyMaxMs: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  bytesPerSecond: number;
  requests: number;
}

let current: autocannon.Instance | undefined;

/** Stops a load run in progress (Ctrl-C). */
export function stopLoad(): void {
  current?.stop();
}

async function cannon(url: string, connections: number, durationSeconds: number, timeoutSeconds: number): Promise<autocannon.Result> {
  current = autocannon({ url, connections, duration: durationSeconds, timeout: timeoutSeconds, pipelining: 1 });
  try {
    return await current;
  } finally {
    current = undefined;
  }
}

/** A warm-up (results dropped), then the measured run, with the same connections. */
export async function measureLoad(url: string, settings: LoadSettings, afterWarmup?: () => Promise<void>): Promise<LoadResult> {
  if (settings.warmupSeconds > 0) await cannon(url, settings.connections, settings.warmupSeconds, settings.timeoutSeconds);
  await afterWarmup?.();
  const result = await cannon(url, settings.connections, settings.durationSeconds, settings.timeoutSeconds);
  return {
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyAverageMs: result.latency.average,
    latencyMaxMs: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    bytesPerSecond: result.throughput.average,
    requests: result['2xx'] + result.non2xx,
  };
}

/** VmHWM (peak resident set) and VmRSS of a live process, in bytes, from /proc/<pid>/status. */
export function memoryOf(pid: number): { peakRssBytes: number; rssBytes: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { peakRssBytes: kb('VmHWM'), rssBytes: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

export interface ColdStart {
  command: string;
  runsMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function timeOnce(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** Wall time of `node <args>` from spawn to exit: one unmeasured run (file cache), then `runs` measured ones. */
export async function measureColdStart(label: string, args: string[], runs: number, cwd: string, env: NodeJS.ProcessEnv): Promise<ColdStart> {
  await timeOnce(args, cwd, env);
  const runsMs: number[] = [];
  for (let run = 0; run < runs; run += 1) runsMs.push(await timeOnce(args, cwd, env));
  return { command: label, runsMs, medianMs: median(runsMs), minMs: Math.min(...runsMs), maxMs: Math.max(...runsMs) };
}
