/**
 * The README's first command on a fresh clone, timed as a newcomer would live it: `git clone` of this checkout,
 * node_modules as `npm install` leaves them (hard links of ours) plus the build its "prepare" step runs, then the
 * documented command until `/health/` answers, and the first `nexus --help`. Reported by `npm run bench`; also
 * runnable alone: `npx tsx tests/bench/fresh-clone.ts`. Never a timed test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/components';
import { httpGet } from './processes';
import { median } from './measure';

const ROOT = join(__dirname, '..', '..');
export const FRESH_READY_LIMIT_MS = 15_000;
export const HELP_COLD_LIMIT_MS = 400;

export interface FreshCloneResult {
  /** The command the README's "Run it" gives after `npm install`. */
  command: string;
  cloneSeconds: number;
  /** `npm run build`, what `npm install`'s prepare step runs on a fresh clone. */
  buildSeconds: number;
  /** From spawning the command to `/health/` answering 200. */
  readyMs: number;
  /** From spawning to its first output, and the longest stretch without any output before ready. */
  firstOutputMs: number;
  longestSilenceMs: number;
  /** The first `node bin/run.js --help` in the clone, then the median of later ones. */
  helpColdMs: number;
  helpWarmMedianMs: number;
  /** `npx nexus --help`: first and second call, and whether either rebuilt dist/. */
  npxFirstMs: number;
  npxSecondMs: number;
  npxRebuilt: boolean;
}

const run = (command: string, args: string[], cwd: string, env = process.env) => {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}): ${result.stderr}`);
  return performance.now() - started;
};

/** The command after `npm install &&` in the README's "Run it" block: what a newcomer types. */
export function documentedCommand(readme = readFileSync(join(ROOT, 'README.md'), 'utf8')): string {
  const block = /## Run it[\s\S]*?```sh\n([^\n]+)\n/.exec(readme)?.[1];
  const command = block?.split('&&').map((part) => part.trim());
  if (!command || command[0] !== 'npm install' || !command[1]) throw new Error(`README.md's "Run it" does not start with "npm install && <command>": ${block}`);
  return command[1];
}

/** The environment of a newcomer's shell: nothing of ours (no database, no Redis), the port chosen for us. */
function newcomerEnv(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'NODE_ENV', 'NODE_OPTIONS', 'JWT_SECRET', 'CI']) delete env[name];
  return env;
}

/** Starts the command as a terminal would (its own process group), times it to `/health/`, then Ctrl-C. */
async function timeToHealthy(command: string, cwd: string, env: NodeJS.ProcessEnv, port: number): Promise<Pick<FreshCloneResult, 'readyMs' | 'firstOutputMs' | 'longestSilenceMs'>> {
  const started = performance.now();
  const child = spawn('sh', ['-c', `exec ${command}`], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let lastOutput = started;
  let firstOutput: number | undefined;
  let longestSilence = 0;
  const onOutput = (chunk: Buffer) => {
    const now = performance.now();
    firstOutput ??= now;
    longestSilence = Math.max(longestSilence, now - lastOutput);
    lastOutput = now;
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command} exited (${child.exitCode}) before /health/ answered:\n${output}`);
      if (performance.now() - started > 120_000) throw new Error(`${command}: /health/ did not answer within 120 s:\n${output}`);
      const healthy = await httpGet(`http://127.0.0.1:${port}/health/`, 2_000).then((response) => response.status === 200, () => false);
      if (healthy) break;
      await new Promise((done) => setTimeout(done, 50));
    }
    const ready = performance.now();
    return { readyMs: ready - started, firstOutputMs: (firstOutput ?? ready) - started, longestSilenceMs: Math.max(longestSilence, ready - lastOutput) };
  } finally {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGINT');
    await exited;
  }
}

/** npx links the clone into its cache (~/.npm/_npx/<hash>); that entry would point at a deleted directory. */
function forgetNpxLink(clone: string): void {
  const cache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
  const npxDir = join(cache, '_npx');
  if (!existsSync(npxDir)) return;
  for (const entry of readdirSync(npxDir)) {
    const link = join(npxDir, entry, 'node_modules', 'nexus');
    try {
      if (resolve(join(npxDir, entry, 'node_modules'), readlinkSync(link)) === clone) rmSync(join(npxDir, entry), { recursive: true, force: true });
    } catch {
      // not a link to a clone
    }
  }
}

export async function measureFreshClone(log: (line: string) => void, helpRuns = 5): Promise<FreshCloneResult> {
  const parent = mkdtempSync(join(tmpdir(), 'nexus-fresh-clone-'));
  // As root the embedded PostgreSQL runs as `postgres`, which must be able to enter the clone.
  chmodSync(parent, 0o755);
  const clone = join(parent, 'nexus');
  try {
    const command = documentedCommand();
    const cloneMs = run('git', ['clone', '--quiet', ROOT, clone], parent);
    run('cp', ['-al', join(ROOT, 'node_modules'), join(clone, 'node_modules')], parent);
    log(`fresh clone: cloned in ${(cloneMs / 1000).toFixed(1)} s; building as npm install's prepare step does`);
    const buildMs = run('npm', ['run', 'build'], clone);
    const port = await freePort();
    log(`fresh clone: \`${command}\` until /health/ answers`);
    const dev = await timeToHealthy(command, clone, newcomerEnv(port), port);
    const help = () => run(process.execPath, [join(clone, 'bin', 'run.js'), '--help'], clone);
    const helpColdMs = help();
    const helpWarmMedianMs = median(Array.from({ length: helpRuns }, help));
    const manifest = join(clone, 'oclif.manifest.json');
    const builtAt = statSync(manifest).mtimeMs;
    const npxFirstMs = run('npx', ['nexus', '--help'], clone);
    const npxSecondMs = run('npx', ['nexus', '--help'], clone);
    forgetNpxLink(clone);
    return {
      command,
      cloneSeconds: cloneMs / 1000,
      buildSeconds: buildMs / 1000,
      ...dev,
      helpColdMs,
      helpWarmMedianMs,
      npxFirstMs,
      npxSecondMs,
      npxRebuilt: statSync(manifest).mtimeMs !== builtAt,
    };
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

if (require.main === module) {
  measureFreshClone((line) => process.stderr.write(`[bench] ${line}\n`))
    .then((result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    });
}
