import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { IMMUTABLE, isMediaKey, mediaType } from '../../api/infra/media-storage';
import type { S3Bucket } from '../../api/infra/s3';
import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';

/** What `nexus media migrate` did (or, with --dry-run, would do). */
export interface MediaMigrationReport {
  to: 's3';
  /** MEDIA_ROOT, resolved. */
  from: string;
  /** The bucket and prefix (no credentials). */
  where: string;
  dryRun: boolean;
  /** Files found under MEDIA_ROOT. */
  files: number;
  /** Copied to the bucket (with --dry-run: would be). */
  copied: number;
  /** Already in the bucket with the same size: left as they are. */
  alreadyThere: number;
  failed: number;
  /** Each file that could not be copied (or is not a name the API serves), with why. */
  failures: { file: string; reason: string }[];
}

/** Every regular file under the root, as keys relative to it ('/'-separated); dot files and symbolic links are not media. */
async function localFiles(root: string): Promise<{ key: string; size: number; path: string }[]> {
  const found: { key: string; size: number; path: string }[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) found.push({ key: relative(root, path).split(sep).join('/'), size: (await lstat(path)).size, path });
    }
  };
  await walk(root);
  return found.sort((a, b) => a.key.localeCompare(b.key));
}

/** Runs `work` on each item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

/**
 * Copies every file under MEDIA_ROOT that the bucket does not already hold with the same size to the same key
 * under the prefix, so that the database's image keys stay valid after MEDIA_STORAGE=s3. Safe to re-run: what
 * is there already is skipped, and a file is only listed as copied once the bucket has taken it whole.
 * @throws {NexusError} when MEDIA_ROOT is missing or the bucket cannot be listed (nothing was copied then)
 */
export async function migrateMediaToS3(options: { root: string; bucket: S3Bucket; dryRun: boolean; progress?: (message: string) => void }): Promise<MediaMigrationReport> {
  const { root, bucket, dryRun } = options;
  const report: MediaMigrationReport = { to: 's3', from: root, where: bucket.where, dryRun, files: 0, copied: 0, alreadyThere: 0, failed: 0, failures: [] };
  let files;
  try {
    files = await localFiles(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new NexusError(`MEDIA_ROOT ${root} cannot be read${code ? ` (${code})` : ''}: nothing to copy from.`, {
      code: 'MEDIA_ROOT_UNREADABLE',
      exitCode: ExitCode.CONFIG,
      suggestions: ['set MEDIA_ROOT to the directory the API stores images in (in the deployed container: run the command there)'],
      cause: error,
    });
  }
  report.files = files.length;
  const existing = new Map<string, number>();
  try {
    for await (const object of bucket.list()) existing.set(object.name, object.size);
  } catch (error) {
    throw new NexusError(`Could not list ${bucket.where}: ${(error as Error).name}: ${(error as Error).message}. Nothing was copied.`, {
      code: 'MEDIA_STORAGE_FAILED',
      suggestions: ['check MEDIA_S3_BUCKET, MEDIA_S3_ENDPOINT and the MEDIA_S3_ACCESS_KEY_ID / MEDIA_S3_SECRET_ACCESS_KEY secrets (docs/media.md)'],
      cause: error,
    });
  }
  await eachLimited(files, 4, async (file) => {
    if (!isMediaKey(file.key)) {
      report.failures.push({ file: file.key, reason: 'not a name the API serves (letters, digits, ".", "_", "-" in each path segment)' });
      return;
    }
    if (existing.get(file.key) === file.size) {
      report.alreadyThere += 1;
      return;
    }
    if (dryRun) {
      report.copied += 1;
      return;
    }
    try {
      await bucket.put(file.key, createReadStream(file.path), { contentType: mediaType(file.key), cacheControl: IMMUTABLE });
      report.copied += 1;
      options.progress?.(`copied ${file.key}`);
    } catch (error) {
      report.failures.push({ file: file.key, reason: `${(error as Error).name}: ${(error as Error).message}` });
    }
  });
  report.failures.sort((a, b) => a.file.localeCompare(b.file));
  report.failed = report.failures.length;
  return report;
}
