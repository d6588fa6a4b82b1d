import { NexusError } from '../errors';
import type { Executor } from '../exec/executor';
import { writeFile } from '../remote/files';
import { listManifests, listVerified } from '../remote/pg-backup';
import type { BackupManifest } from './backup-manifest';
import type { SignatureStatus } from './backup-signing';

/**
 * What a backup directory holds, read from its files alone (no database connection, no key): the manifests,
 * and which backups passed a verification. A verification leaves `<id>.verified` beside the backup, so that
 * "is the newest backup known to restore?" can be answered later without restoring it again.
 */

/** What `<id>.verified` holds. */
export interface VerificationRecord {
  id: string;
  verifiedAt: string;
  signature: SignatureStatus;
  tables: number;
  rows: number;
}

export function verificationFile(dir: string, id: string): string {
  return `${dir}/${id}.verified`;
}

async function output(exec: Executor, what: string, command: readonly string[]): Promise<string> {
  const result = await exec.run(command);
  if (result.code !== 0) throw new NexusError(`Could not ${what} on ${exec.host}: ${result.stderr.trim() || `exit ${result.code}`}`, { code: 'BACKUP_FAILED' });
  return result.stdout;
}

/** The manifests in a backup directory, oldest first; none when it does not exist. */
export async function listBackups(exec: Executor, dir: string): Promise<BackupManifest[]> {
  return (await output(exec, 'list the backups', listManifests(dir)))
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as BackupManifest)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The ids of the backups with a verification record. */
export async function verifiedBackups(exec: Executor, dir: string): Promise<Set<string>> {
  return new Set((await output(exec, 'list the verified backups', listVerified(dir))).split('\n').filter(Boolean));
}

/** Writes a backup's verification record (mode 600, like the backup). @returns why it could not, or undefined */
export async function recordVerification(exec: Executor, dir: string, record: VerificationRecord): Promise<string | undefined> {
  const result = await exec.run(writeFile(verificationFile(dir, record.id), '600'), { stdin: `${JSON.stringify(record)}\n` });
  return result.code === 0 ? undefined : result.stderr.trim() || `exit ${result.code}`;
}
