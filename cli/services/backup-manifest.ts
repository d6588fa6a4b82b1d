import { NexusError, UsageError } from '../errors';
import type { ManifestSignature } from './backup-signing';

/** What a backup holds, written beside its dump as <id>.json; restores and verifications are checked against it. */
export interface BackupManifest {
  format: 'nexus-backup/1';
  id: string;
  /** manual (`nexus db backup`), scheduled (the host's daily job) or pre-migration (a deploy). */
  kind: BackupKind;
  createdAt: string;
  database: string;
  serverVersion: string;
  /** The release serving when the backup was taken (a target), or this checkout's version (local). */
  release: string | null;
  /** Pre-migration backups: the release whose migrations ran right after (what `deploy rollback --with-data` undoes). */
  before?: string;
  migration: MigrationState;
  tables: Record<string, TableContent>;
  dump: { file: string; bytes: number; sha256: string };
  /** HMAC over everything above with BACKUP_SIGNING_KEY (backup-signing.ts); absent on backups made before signing. */
  signature?: ManifestSignature;
}

export type BackupKind = 'manual' | 'scheduled' | 'pre-migration';

export interface MigrationState {
  latest: string;
  count: number;
}

export interface TableContent {
  rows: number;
  /** md5 over the sorted md5s of the rows' text. */
  checksum: string;
}

export interface DatabaseContent {
  tables: Record<string, TableContent>;
  migration: MigrationState;
  serverVersion?: string;
  dump?: { bytes: number; sha256: string };
}

/** Reads the tab-separated lines the pg-backup scripts print. */
export function parseContent(output: string): DatabaseContent {
  const content: DatabaseContent = { tables: {}, migration: { latest: '', count: 0 } };
  for (const line of output.split('\n')) {
    const [kind, ...fields] = line.split('\t');
    if (kind === 'table' && fields.length === 3) content.tables[fields[0] as string] = { rows: Number(fields[1]), checksum: fields[2] as string };
    else if (kind === 'migration' && fields.length === 2) content.migration = { latest: fields[0] as string, count: Number(fields[1]) };
    else if (kind === 'server' && fields.length === 1) content.serverVersion = fields[0];
    else if (kind === 'dump' && fields.length === 2) content.dump = { bytes: Number(fields[0]), sha256: fields[1] as string };
  }
  return content;
}

/** Where a restored database differs from its manifest: one line per difference, empty when identical. */
export function differences(manifest: Pick<BackupManifest, 'tables' | 'migration'>, restored: DatabaseContent): string[] {
  const found: string[] = [];
  if (manifest.migration.latest !== restored.migration.latest || manifest.migration.count !== restored.migration.count) {
    found.push(`migration: expected ${manifest.migration.latest || 'none'} (${manifest.migration.count}), found ${restored.migration.latest || 'none'} (${restored.migration.count})`);
  }
  const names = new Set([...Object.keys(manifest.tables), ...Object.keys(restored.tables)]);
  for (const name of [...names].sort()) {
    const expected = manifest.tables[name];
    const actual = restored.tables[name];
    if (!expected) found.push(`${name}: not in the manifest`);
    else if (!actual) found.push(`${name}: missing after restore`);
    else if (expected.rows !== actual.rows) found.push(`${name}: expected ${expected.rows} rows, found ${actual.rows}`);
    else if (expected.checksum !== actual.checksum) found.push(`${name}: same ${actual.rows} rows, different contents`);
  }
  return found;
}

/** A sortable, file-safe id: 20261202T083700Z-manual. */
export function backupId(at: Date, kind: BackupKind): string {
  return `${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${kind}`;
}

export const BACKUP_ID = /^\d{8}T\d{6}Z-(manual|scheduled|pre-migration)(-[A-Za-z0-9.-]+)?$/;

/** Refuses what is not a backup id before it becomes part of a path (a usage error, exit 2). */
export function assertBackupId(id: string): void {
  if (!BACKUP_ID.test(id)) throw new UsageError(`${JSON.stringify(id)} is not a backup id (like 20261202T083700Z-manual).`, ['`nexus db backup list` shows the ids']);
}

/** A manifest read back: it must be a nexus manifest of that very backup, or the backup cannot be trusted. */
export function parseManifest(text: string, id: string): BackupManifest {
  try {
    const manifest = JSON.parse(text) as BackupManifest;
    if (manifest?.format !== 'nexus-backup/1' || manifest.id !== id) throw new Error('not a nexus backup manifest');
    return manifest;
  } catch (error) {
    throw new NexusError(`The manifest of ${id} is unreadable (${(error as Error).message}); the backup cannot be trusted.`, { code: 'BACKUP_CORRUPT' });
  }
}

export interface Retention {
  daily: number;
  weekly: number;
}

/**
 * The pre-migration backups taken for these releases. They only serve `rollback --with-data` to a release
 * older than theirs, so they go when a deploy prunes their release.
 */
export function backupsOfReleases(manifests: readonly Pick<BackupManifest, 'id' | 'kind' | 'before'>[], releases: readonly string[]): string[] {
  return manifests.filter((manifest) => manifest.kind === 'pre-migration' && manifest.before !== undefined && releases.includes(manifest.before)).map((manifest) => manifest.id);
}

/** The Monday (UTC) of a date's ISO week, as YYYY-MM-DD. */
function weekOf(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day.toISOString().slice(0, 10);
}

/**
 * Which backups retention removes: of the manual and scheduled ones, the newest of each of the last
 * `daily` days that have a backup and the newest of each of the last `weekly` weeks stay (restic's
 * --keep-daily/--keep-weekly). Pre-migration backups belong to their release and go with it (backupsOfReleases).
 */
export function expiredBackups(manifests: readonly Pick<BackupManifest, 'id' | 'kind' | 'createdAt'>[], retention: Retention): string[] {
  const candidates = manifests.filter((manifest) => manifest.kind !== 'pre-migration').sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const keep = new Set<string>();
  const days = new Set<string>();
  const weeks = new Set<string>();
  for (const manifest of candidates) {
    const at = new Date(manifest.createdAt);
    const day = manifest.createdAt.slice(0, 10);
    if (!days.has(day) && days.size < retention.daily) {
      days.add(day);
      keep.add(manifest.id);
    }
    const week = weekOf(at);
    if (!weeks.has(week) && weeks.size < retention.weekly) {
      weeks.add(week);
      keep.add(manifest.id);
    }
  }
  return candidates.filter((manifest) => !keep.has(manifest.id)).map((manifest) => manifest.id);
}
