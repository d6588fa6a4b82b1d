import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';

/**
 * Where uploaded files live. Keys are relative paths ("products/<uuid>.png") stored in the database and
 * served under /media/; an S3 implementation would map them to object keys.
 */
export interface MediaStorage {
  save(folder: string, data: Buffer, extension: string): Promise<string>;
  remove(key: string): Promise<void>;
}

/** Files on local disk under a root directory (a volume in production), served by the API or by nginx. */
export class LocalMediaStorage implements MediaStorage {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    const path = normalize(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`media key escapes the media root: ${key}`);
    return path;
  }

  async save(folder: string, data: Buffer, extension: string): Promise<string> {
    const key = `${folder}/${randomUUID()}.${extension}`;
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data, { mode: 0o644, flag: 'wx' });
    return key;
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
