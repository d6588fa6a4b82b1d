import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NexusError } from '../errors';
import { copyPrivately, ensurePrivateDirectory } from '../exec/private-files';
import type { BackupManifest } from './backup-manifest';

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
