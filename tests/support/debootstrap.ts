import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './components';

export const DEBIAN_MIRROR = 'deb.debian.org';
export const DEBIAN_SUITE = 'bookworm';

/** debootstrap needs root (it chroots to run the packages' scripts). */
export const debootstrapAvailable = process.getuid?.() === 0 && Boolean(findBinary('debootstrap'));

const CACHE_DIR = join('/var/tmp', 'nexus-test-cache');

/**
 * A minimal Debian root file system with `packages` from Debian's archive, as a tar archive made once per
 * machine (debootstrap takes about a minute) and reused by later runs. `prepare` may change the tree before
 * it is archived. Concurrent first runs each build their own copy and the last rename wins: never a half file.
 * @returns the archive's path
 */
export function debootstrapArchive(name: string, packages: readonly string[], prepare?: (rootfs: string) => void): string {
  const archive = join(CACHE_DIR, `${name}.tar`);
  if (existsSync(archive)) return archive;
  mkdirSync(CACHE_DIR, { recursive: true });
  const fresh = mkdtempSync(join(tmpdir(), 'nexus-debootstrap-'));
  const partial = `${archive}.${process.pid}.partial`;
  try {
    execFileSync('debootstrap', ['--variant=minbase', `--include=${packages.join(',')}`, DEBIAN_SUITE, fresh, `http://${DEBIAN_MIRROR}/debian`], { stdio: 'ignore', timeout: 600_000 });
    prepare?.(fresh);
    execFileSync('tar', ['-C', fresh, '-cf', partial, '.']);
    renameSync(partial, archive);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
  return archive;
}
