import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DEFAULT_DEV_DIR = '.nexus/dev';

/** What a running `nexus dev` publishes so other commands (e.g. `nexus db seed`) can find its database. */
export interface DevState {
  pid: number;
  apiUrl: string;
  databaseUrl: string;
  startedAt: string;
}

export function devDir(dir = DEFAULT_DEV_DIR): string {
  return resolve(process.cwd(), dir);
}

function stateFile(dir: string): string {
  return join(dir, 'state.json');
}

/** Whether a process with this id exists (signal 0 only checks). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function writeDevState(dir: string, state: DevState): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export function clearDevState(dir: string): void {
  rmSync(stateFile(dir), { force: true });
}

/** The state of a `nexus dev` that is still running in this directory, if any. */
export function runningDevState(dir = devDir()): DevState | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as DevState;
    return isProcessAlive(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
}
