import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import { PROJECT_STATE_DIR, projectRoot } from '../project-root';

export const DEFAULT_DEV_DIR = join(PROJECT_STATE_DIR, 'dev');

/** What a running `nexus dev` publishes so other commands (e.g. `nexus db seed`) can find its database. */
export interface DevState {
  pid: number;
  apiUrl: string;
  databaseUrl: string;
  startedAt: string;
}

/** The dev directory: `--data-dir` relative to the current directory, else `.nexus/dev` of the project root. */
export function devDir(dir?: string): string {
  return dir ? resolve(process.cwd(), dir) : join(projectRoot(), DEFAULT_DEV_DIR);
}

const stateFile = (dir: string) => join(dir, 'state.json');
/** Holds the pid of the one `nexus dev` using the directory, from before it touches anything until it stops. */
const ownerFile = (dir: string) => join(dir, 'dev.pid');

/** Whether a process with this id exists (signal 0 only checks). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the process could be a `nexus dev` (its arguments include `dev`), where /proc tells; so a pid reused
 * by another program after a crash is not taken for a running stack (and nobody is told to kill it).
 */
function mayBeNexusDev(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('dev');
  } catch {
    return !existsSync('/proc/self');
  }
}

function readState(dir: string): DevState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as DevState;
  } catch {
    return undefined;
  }
}

/** Whether something accepts connections at the URL's host and port (within a second). */
function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port), timeout: 1_000 });
    const finish = (result: boolean) => {
      socket.destroy();
      done(result);
    };
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}

export class DevStackRunningError extends NexusError {
  constructor(readonly pid: number, readonly apiUrl?: string) {
    super(apiUrl ? `nexus dev is already running at ${apiUrl} (pid ${pid}).` : `nexus dev is already starting here (pid ${pid}).`, {
      code: 'DEV_ALREADY_RUNNING',
      exitCode: ExitCode.CONFLICT,
      details: { pid, apiUrl: apiUrl ?? null },
      suggestions: [`use that one, or stop it first (Ctrl-C where it runs, or \`kill ${pid}\`)`, 'a second stack needs its own --data-dir and --port'],
    });
  }
}

/**
 * The `nexus dev` holding the directory when it is alive: its process exists, looks like one, and, once it has
 * published its state, its API port answers (a pid alone could be another program's after a crash and a reboot).
 */
async function liveOwner(dir: string): Promise<{ pid: number; apiUrl?: string } | undefined> {
  const pid = Number(readFileSync(ownerFile(dir), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid) || !mayBeNexusDev(pid)) return undefined;
  const state = readState(dir);
  if (state?.pid !== pid) return { pid };
  return (await answers(state.apiUrl)) ? { pid, apiUrl: state.apiUrl } : undefined;
}

/**
 * Makes this process the one `nexus dev` of the directory before anything in it is read or written, so a
 * second start is refused without deleting the first one's state or moving its database port. The files of
 * a stack that died without stopping are taken over.
 * @throws DevStackRunningError while another `nexus dev` holds the directory
 */
export async function claimDevDir(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let tookOver = false; ; tookOver = true) {
    try {
      writeFileSync(ownerFile(dir), `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await liveOwner(dir).catch(() => undefined);
    if (owner) throw new DevStackRunningError(owner.pid, owner.apiUrl);
    // The owner died without stopping; after one take-over a file here is another start's, racing us.
    if (tookOver) throw new NexusError(`Another \`nexus dev\` is starting in ${dir} at the same moment.`, { code: 'DEV_ALREADY_RUNNING', exitCode: ExitCode.CONFLICT });
    rmSync(ownerFile(dir), { force: true });
    rmSync(stateFile(dir), { force: true });
  }
}

/** Gives the directory up again, but only when this process holds it. */
export function releaseDevDir(dir: string): void {
  if (!existsSync(ownerFile(dir)) || Number(readFileSync(ownerFile(dir), 'utf8').trim()) !== process.pid) return;
  rmSync(stateFile(dir), { force: true });
  rmSync(ownerFile(dir), { force: true });
}

export function writeDevState(dir: string, state: DevState): void {
  writeFileSync(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** The state of a `nexus dev` that is still running in this directory, if any. */
export function runningDevState(dir = devDir()): DevState | undefined {
  const state = readState(dir);
  return state && isProcessAlive(state.pid) ? state : undefined;
}
