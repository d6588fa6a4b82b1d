import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NexusError } from '../errors';
import { copyPrivately, ensurePrivateDirectory } from '../exec/private-files';
import { parseManifest, type BackupManifest } from './backup-manifest';
import { assertTrusted, type BackupTrust } from './backup-trust';

/**
 * Where copies of the backups go, away from the host that holds the database: object storage or a mounted
 * directory. Each backup is the same two files as on the host (<id>.dump, <id>.json); the manifest is written
 * last, so a backup that is listed is whole.
 */
export interface OffsiteStore {
  /** Where, for messages (no credentials). */
  readonly where: string;
  put(manifest: BackupManifest, files: { dump: string; manifest: string }): Promise<void>;
  list(): Promise<BackupManifest[]>;
  /** Copies a backup's two files into a local directory. */
  fetch(id: string, localDir: string): Promise<void>;
  remove(ids: readonly string[]): Promise<void>;
}

export function offsiteFailure(where: string, action: string, error: unknown): NexusError {
  const reason = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return new NexusError(`Could not ${action} ${where}: ${reason}`, { code: 'OFFSITE_FAILED' });
}

/** Parses manifests, skipping what is not one (a stray file must not hide the others). */
export function parseManifests(texts: readonly string[]): BackupManifest[] {
  const manifests: BackupManifest[] = [];
  for (const text of texts) {
    try {
      const manifest = JSON.parse(text) as BackupManifest;
      if (manifest.format === 'nexus-backup/1') manifests.push(manifest);
    } catch {
      // not a manifest
    }
  }
  return manifests.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * A backup fetched from an offsite store into `dir` must be signed by us and whole before it may replace
 * anything among the host's backups: a tampered copy is refused here, and the host's own copy stays.
 */
export async function checkFetchedBackup(dir: string, id: string, trust: BackupTrust): Promise<BackupManifest> {
  const manifest = parseManifest(await readFile(join(dir, `${id}.json`), 'utf8'), id);
  assertTrusted(manifest, trust);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(join(dir, `${id}.dump`)) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== manifest.dump.sha256 || bytes !== manifest.dump.bytes) {
    throw new NexusError(`The offsite dump of ${id} does not match its manifest (sha256 ${sha256}, ${bytes} bytes; expected ${manifest.dump.sha256}, ${manifest.dump.bytes} bytes). It is refused; nothing was copied to the host.`, { code: 'BACKUP_CORRUPT' });
  }
  return manifest;
}

/** A directory on the machine running nexus, typically a mount (NFS, a backup disk); kept mode 700, its files 600. */
export class FilesystemStore implements OffsiteStore {
  private readonly dir: string;

  constructor(path: string) {
    this.dir = resolve(path);
  }

  get where(): string {
    return this.dir;
  }

  async put(manifest: BackupManifest, files: { dump: string; manifest: string }): Promise<void> {
    try {
      await ensurePrivateDirectory(this.dir);
      for (const [from, name] of [[files.dump, `${manifest.id}.dump`], [files.manifest, `${manifest.id}.json`]] as const) await copyPrivately(from, join(this.dir, name));
    } catch (error) {
      throw offsiteFailure(this.where, `copy ${manifest.id} to`, error);
    }
  }

  async list(): Promise<BackupManifest[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((name) => name.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw offsiteFailure(this.where, 'list', error);
    }
    return parseManifests(await Promise.all(names.map((name) => readFile(join(this.dir, name), 'utf8'))));
  }

  async fetch(id: string, localDir: string): Promise<void> {
    try {
      for (const extension of ['dump', 'json']) await copyPrivately(join(this.dir, `${id}.${extension}`), join(localDir, `${id}.${extension}`));
    } catch (error) {
      throw offsiteFailure(this.where, `fetch ${id} from`, error);
    }
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) for (const extension of ['json', 'dump']) await rm(join(this.dir, `${id}.${extension}`), { force: true });
  }
}
