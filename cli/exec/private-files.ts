import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { NexusError } from '../errors';

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
 * Makes a directory for backups: created with mode 700 (parents too), or an existing one of ours tightened to
 * 700. A shared directory or another user's is refused rather than locked.
 * @returns the mode it had when that changed, else undefined
 */
export async function ensurePrivateDirectory(dir: string): Promise<number | undefined> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { mode: bits, uid } = await stat(dir);
  const mode = bits & 0o7777;
  if ((mode & 0o1077) === 0) return undefined;
  const refuse = (why: string) =>
    new NexusError(`${dir} is open to other users (mode ${mode.toString(8)}) and ${why}. Backups go only into a directory of mode 700; nothing was written.`, {
      code: 'DIRECTORY_NOT_PRIVATE',
      suggestions: ['choose a directory of your own (not a shared one such as /tmp)'],
    });
  // A shared directory (sticky, like /tmp) or another user's is not ours to lock: not even as root.
  if (mode & 0o1000 || uid !== process.getuid?.()) throw refuse('is shared or belongs to another user');
  try {
    await chmod(dir, mode & 0o700);
  } catch (error) {
    throw refuse(`cannot be made private: ${(error as Error).message}`);
  }
  return mode;
}
