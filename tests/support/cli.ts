import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const NEXUS_BIN = join(__dirname, '..', '..', 'bin', 'run.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as the single JSON document `--json` promises. */
  json<T = Record<string, unknown>>(): T;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
  /** Another copy's bin/run.js (default: this checkout's). */
  binary?: string;
}

/** The environment a CLI test starts from: no database, no CI flag leaking in from the developer's shell. */
function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'NODE_ENV', 'NODE_OPTIONS', 'JWT_SECRET', 'PORT']) delete env[name];
  return { ...env, ...extra };
}

/** Asserts the exit code; when it is not the expected one, the failure shows the command's output. */
export function expectExit(result: CliResult, code: number): void {
  expect({ code: result.code, output: result.code === code ? '' : `${result.stdout}\n${result.stderr}` }).toEqual({ code, output: '' });
}

/** Runs the built `nexus` exactly as a user or CI job would: a separate process, stdin piped (never a TTY). */
export function runNexus(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.binary ?? NEXUS_BIN, ...args], { cwd: options.cwd, env: baseEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nexus ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Starts a long-running `nexus` command (e.g. `dev`) and resolves once `ready(stdout, stderr)` is true. */
export async function startNexus(
  args: string[],
  ready: (stdout: string, stderr: string) => boolean,
  options: CliOptions = {},
): Promise<{ child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [options.binary ?? NEXUS_BIN, ...args], { cwd: options.cwd, env: baseEnv(options.env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  while (!ready(stdout, stderr)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nexus ${args.join(' ')} did not become ready (exit ${child.exitCode})\nstdout: ${stdout}\nstderr: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
