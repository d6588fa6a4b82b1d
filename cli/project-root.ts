import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { packageRoot } from './package-root';

/** The per-project directory of nexus: dev stack state, secrets, local backups. */
export const PROJECT_STATE_DIR = '.nexus';
export const CONFIG_FILE = 'nexus.yml';

const isDirectory = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/** A directory is a project root when it holds nexus.yml or .nexus/, or is this clone of nexus itself. */
function isProjectRoot(dir: string, ownRoot: string): boolean {
  return existsSync(join(dir, CONFIG_FILE)) || isDirectory(join(dir, PROJECT_STATE_DIR)) || dir === ownRoot;
}

/**
 * The project root, found from `start` upward as git finds `.git`, so a command run in a subdirectory uses the
 * same nexus.yml and the same `nexus dev` as one run at the top. Without any marker above, `start` itself
 * (a new project: `nexus init` and a first `nexus dev` create their files there).
 */
export function projectRoot(start = process.cwd()): string {
  const from = resolve(start);
  const ownRoot = packageRoot();
  for (let dir = from; ; dir = dirname(dir)) {
    if (isProjectRoot(dir, ownRoot)) return dir;
    if (dirname(dir) === dir) return from;
  }
}
