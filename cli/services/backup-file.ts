import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { NexusError, UsageError } from '../errors';
import { BACKUP_ID, parseManifest, type BackupManifest } from './backup-manifest';
import { assertTrusted, type BackupTrust } from './backup-trust';

/** A backup's two files side by side in a directory here: <id>.dump and its manifest <id>.json. */
export interface BackupFiles {
  dir: string;
  id: string;
}

const EXTENSION = /\.(dump|json)$/;

/** Whether a command's backup argument is a path rather than an id (ids have no slash and no extension). */
export function isBackupPath(argument: string): boolean {
  return argument.includes('/') || EXTENSION.test(argument);
}

/**
 * The backup a path names (its dump or its manifest), e.g. one downloaded earlier or copied from another
 * machine: both files must be there, under the names nexus gave them (the id is part of what is signed).
 */
export function backupFiles(path: string): BackupFiles {
  const file = resolve(path);
  const id = basename(file).replace(EXTENSION, '');
  if (!BACKUP_ID.test(id)) {
    throw new UsageError(`${path} is not named like a backup: nexus writes <id>.dump with its manifest <id>.json beside it (e.g. 20261202T031500Z-manual.dump).`, [
      'keep the names nexus gave the two files: the id is part of what the manifest signs',
    ]);
  }
  const dir = dirname(file);
  if (!existsSync(join(dir, `${id}.dump`))) throw new NexusError(`No dump ${join(dir, `${id}.dump`)}.`, { code: 'NO_BACKUP' });
  if (!existsSync(join(dir, `${id}.json`))) {
    throw new NexusError(`The dump ${join(dir, `${id}.dump`)} has no manifest beside it (${id}.json): without it the dump cannot be checked, so it is not used. Nothing was restored.`, {
      code: 'BACKUP_MANIFEST_MISSING',
      suggestions: [`copy the manifest nexus wrote with it (${id}.json) into ${dir}`],
    });
  }
  return { dir, id };
}

/**
 * A backup's files here (fetched from an offsite store, or given by path) must be signed by us and whole
 * before anything uses them: a tampered copy is refused here, before it is restored or reaches a host.
 * @param source names the files for messages, e.g. "the offsite dump of <id>"
 * @param untouched says what stayed as it was, e.g. "nothing was copied to the host"
 */
export async function checkBackupFiles(files: BackupFiles, trust: BackupTrust, source: string, untouched: string): Promise<BackupManifest> {
  const manifest = parseManifest(await readFile(join(files.dir, `${files.id}.json`), 'utf8'), files.id);
  assertTrusted(manifest, trust);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(join(files.dir, `${files.id}.dump`)) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== manifest.dump.sha256 || bytes !== manifest.dump.bytes) {
    throw new NexusError(`${source[0]?.toUpperCase()}${source.slice(1)} does not match its manifest (sha256 ${sha256}, ${bytes} bytes; expected ${manifest.dump.sha256}, ${manifest.dump.bytes} bytes). It is refused; ${untouched}.`, { code: 'BACKUP_CORRUPT' });
  }
  return manifest;
}
