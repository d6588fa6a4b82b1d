import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

/**
 * Files only their owner may read. Every file nexus writes on this machine holds backups (every customer's
 * data), so it is created mode 600 before its first byte, whatever the umask, and in a directory of mode 700.
 */

/**
 * Writes `path` through `fill(temporary)`: the temporary file is created new (O_EXCL, so never through a
 * planted symlink) with mode 600, filled, then renamed into place, so `path` is never partly written.
 */
export async function writePrivately(path: string, fill: (temporary: string) => Promise<void>): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.partial`;
  await (await open(temporary, 'wx', 0o600)).close();
  try {
    await fill(temporary);
    // Whatever the filler did (copyFile copies the source's mode), the result is private.
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Copies a file into a private one (fs.copyFile would give the copy the source's mode). */
export function copyPrivately(from: string, to: string): Promise<void> {
  return writePrivately(to, (temporary) => pipeline(createReadStream(from), createWriteStream(temporary, { flags: 'r+' })));
}

/**
 * Makes a directory for backups: created with mode 700 (parents too), or an existing one tightened to 700.
 * @returns the mode it had when that changed, else undefined
 */
export async function ensurePrivateDirectory(dir: string): Promise<number | undefined> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const mode = (await stat(dir)).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  await chmod(dir, mode & 0o700);
  return mode;
}
