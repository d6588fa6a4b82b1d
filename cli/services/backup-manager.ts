import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { NexusError } from '../errors';
import type { Executor } from '../exec/executor';
import { readFile, writeFile, FILE_MISSING_STATUS } from '../remote/files';
import { checksumFile, connectionInput, dropDatabase, ensureBackupDirectory, protectBackup, readEnvironment, removeBackups, restoreIntoNewDatabase, switchDatabase, takeBackup } from '../remote/pg-backup';
import { PG_CLIENT_TOO_OLD_STATUS, type PgTools } from '../remote/pg-tools';
import type { RemoteCommand } from '../remote/shell';
import { listBackups, recordVerification } from './backup-catalog';
import { assertBackupId, backupId, backupsOfReleases, differences, expiredBackups, parseContent, parseManifest, type BackupKind, type BackupManifest, type DatabaseContent, type Retention } from './backup-manifest';
import { signingKeyMissing, type SignatureStatus } from './backup-signing';
import { assertTrusted, NO_TRUST, type BackupTrust } from './backup-trust';
import type { PgConnection } from './pg-connection';

/** Where backups live: a directory on this machine or on the target's first host, who runs commands there, and how the PostgreSQL tools run there. */
export interface BackupLocation {
  exec: Executor;
  dir: string;
  tools: PgTools;
}

export interface VerifyReport {
  id: string;
  /** The scratch database the dump was restored into (dropped again). */
  scratch: string;
  tables: number;
  rows: number;
  migration: string;
  /** The manifest's signature: `valid` unless --allow-unsigned let another state through. */
  signature: SignatureStatus;
}

export interface RestoreReport extends VerifyReport {
  database: string;
  /** The database that was replaced, kept until the operator drops it. */
  previous: string;
}

export interface PreparedRestore {
  manifest: BackupManifest;
  /** The new database holding the restored, checked data. */
  fresh: string;
  restored: DatabaseContent;
  signature: SignatureStatus;
}

const MAINTENANCE_DATABASE = 'postgres';

function failure(code: string, message: string, suggestions: string[] = []): NexusError {
  return new NexusError(message, { code, suggestions });
}

/** A database name of at most 63 bytes (PostgreSQL's limit), unique to this run. */
function siblingName(database: string, label: string, at: Date): string {
  const suffix = `_${label}_${at.toISOString().replace(/\D/g, '').slice(0, 14)}_${randomBytes(2).toString('hex')}`;
  return `${database.slice(0, 63 - suffix.length)}${suffix}`;
}

/**
 * Backups of one database, kept in one place: made consistent with their manifest and signed, checked by
 * restoring them into a scratch database, restored by switching a verified copy in, thinned out by retention.
 * Nothing is restored from a backup whose signature does not check out (unless the trust allows it).
 */
export class BackupManager {
  constructor(
    private readonly location: BackupLocation,
    private readonly connection: PgConnection,
    private readonly trust: BackupTrust = NO_TRUST,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The same database and tools, with the backups of another directory (a backup given by path, here). */
  at(dir: string): BackupManager {
    return new BackupManager({ ...this.location, dir }, this.connection, this.trust, this.clock);
  }

  /** The database backed up and restored to. */
  get database(): string {
    return this.connection.database;
  }

  private file(id: string, extension: 'dump' | 'json'): string {
    return `${this.location.dir}/${id}.${extension}`;
  }

  private async run(what: string, command: RemoteCommand, code = 'BACKUP_FAILED'): Promise<string> {
    const result = await this.location.exec.run(command, { stdin: connectionInput(this.connection.environment) });
    if (result.code === PG_CLIENT_TOO_OLD_STATUS) {
      throw new NexusError(`Could not ${what} on ${this.location.exec.host}: ${result.stderr.trim()}`, {
        code: 'PG_CLIENT_TOO_OLD',
        suggestions: ['`nexus db backup` and `db restore` need psql, pg_dump and pg_restore of the server\'s major version (or newer); nothing was written'],
      });
    }
    if (result.code !== 0) {
      const reason = result.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${result.code ?? result.signal}`;
      throw failure(code, `Could not ${what} on ${this.location.exec.host}: ${reason}`);
    }
    return result.stdout;
  }

  /** Dumps the database with its manifest; `before` names the release whose migrations follow (deploys). */
  async backup(kind: BackupKind, release: string | null, before?: string): Promise<BackupManifest> {
    // Refused before dumping: an unsigned backup would only be usable with --allow-unsigned.
    if (!this.trust.keys.current) throw signingKeyMissing();
    const at = this.clock();
    const id = before ? `${backupId(at, kind)}-${before}` : backupId(at, kind);
    const content = parseContent(await this.run('dump the database', takeBackup(this.location.tools, this.file(id, 'dump'))));
    if (!content.dump) throw failure('BACKUP_FAILED', `The dump of ${this.connection.database} reported no size or checksum.`);
    const manifest = this.trust.keys.sign({
      format: 'nexus-backup/1',
      id,
      kind,
      createdAt: at.toISOString(),
      database: this.connection.database,
      serverVersion: content.serverVersion ?? '',
      release,
      ...(before ? { before } : {}),
      migration: content.migration,
      tables: content.tables,
      dump: { file: `${id}.dump`, ...content.dump },
    });
    const written = await this.location.exec.run(writeFile(this.file(id, 'json'), '600'), { stdin: `${JSON.stringify(manifest)}\n` });
    if (written.code !== 0) throw failure('BACKUP_FAILED', `Could not write the manifest of ${id}: ${written.stderr.trim()}`);
    return manifest;
  }

  list(): Promise<BackupManifest[]> {
    return listBackups(this.location.exec, this.location.dir);
  }

  async manifest(id: string): Promise<BackupManifest> {
    assertBackupId(id);
    const result = await this.location.exec.run(readFile(this.file(id, 'json')));
    if (result.code === FILE_MISSING_STATUS) throw failure('NO_BACKUP', `No backup ${id} in ${this.location.dir} on ${this.location.exec.host}.`, ['`nexus db backup list` shows the backups there']);
    return parseManifest(result.stdout, id);
  }

  /** The manifest, once its signature checks out (or the trust lets it through, with a warning). */
  async trustedManifest(id: string): Promise<{ manifest: BackupManifest; signature: SignatureStatus }> {
    const manifest = await this.manifest(id);
    return { manifest, signature: assertTrusted(manifest, this.trust) };
  }

  /** The dump must be the very file the manifest describes: a changed byte refuses it before anything is restored. */
  private async checkDump(manifest: BackupManifest): Promise<void> {
    const result = await this.location.exec.run(checksumFile(this.file(manifest.id, 'dump')));
    if (result.code !== 0) throw failure('BACKUP_CORRUPT', `The dump of ${manifest.id} is missing: ${result.stderr.trim()}`);
    const actual = parseContent(result.stdout).dump;
    if (actual?.sha256 !== manifest.dump.sha256 || actual.bytes !== manifest.dump.bytes) {
      throw failure('BACKUP_CORRUPT', `The dump of ${manifest.id} does not match its manifest (sha256 ${actual?.sha256 ?? 'none'}, ${actual?.bytes ?? 0} bytes; expected ${manifest.dump.sha256}, ${manifest.dump.bytes} bytes). It is refused; nothing was restored.`);
    }
  }

  /** Restores into a new database and compares it with the manifest; on any difference it is dropped again. */
  private async restoreChecked(manifest: BackupManifest, database: string): Promise<DatabaseContent> {
    await this.checkDump(manifest);
    const restored = parseContent(await this.run(`restore ${manifest.id}`, restoreIntoNewDatabase(this.location.tools, this.file(manifest.id, 'dump'), database, MAINTENANCE_DATABASE), 'RESTORE_FAILED'));
    const found = differences(manifest, restored);
    if (found.length > 0) {
      await this.run('drop the scratch database', dropDatabase(this.location.tools, database, MAINTENANCE_DATABASE));
      throw new NexusError(`The restore of ${manifest.id} does not match its manifest: ${found.slice(0, 5).join('; ')}${found.length > 5 ? ` (and ${found.length - 5} more)` : ''}. Nothing was switched.`, {
        code: 'BACKUP_MISMATCH',
        details: { differences: found },
      });
    }
    return restored;
  }

  private report(manifest: BackupManifest, scratch: string, restored: DatabaseContent, signature: SignatureStatus): VerifyReport {
    const tables = Object.values(restored.tables);
    return { id: manifest.id, scratch, tables: tables.length, rows: tables.reduce((sum, table) => sum + table.rows, 0), migration: restored.migration.latest, signature };
  }

  /**
   * Proves a backup authentic and restorable: signature, then into a scratch database, checked against the
   * manifest, dropped. A signed backup that passed gets its verification record (`nexus status` reads it);
   * failing to write that only warns: the backup is no less verified.
   */
  async verify(id: string): Promise<VerifyReport> {
    const { manifest, signature } = await this.trustedManifest(id);
    const scratch = siblingName(this.connection.database, 'verify', this.clock());
    const restored = await this.restoreChecked(manifest, scratch);
    await this.run('drop the scratch database', dropDatabase(this.location.tools, scratch, MAINTENANCE_DATABASE));
    const report = this.report(manifest, scratch, restored, signature);
    if (signature.startsWith('valid')) {
      const record = { id, verifiedAt: this.clock().toISOString(), signature, tables: report.tables, rows: report.rows };
      const failed = await recordVerification(this.location.exec, this.location.dir, record);
      if (failed) this.trust.warn(`${id} is verified, but its record could not be written on ${this.location.exec.host} (${failed}): \`nexus status\` will show it as not verified.`);
    }
    return report;
  }

  /**
   * Restores into a fresh database, checks it against the manifest, then switches it in under the current
   * database's name. The replaced database is kept (renamed) until the operator drops it.
   */
  async restore(id: string): Promise<RestoreReport> {
    return this.switchTo(await this.prepareRestore(id));
  }

  /** The first half of a restore: a checked copy beside the live database, which is not touched yet. */
  async prepareRestore(id: string): Promise<PreparedRestore> {
    const { manifest, signature } = await this.trustedManifest(id);
    const fresh = siblingName(this.connection.database, 'restore', this.clock());
    const restored = await this.restoreChecked(manifest, fresh);
    return { manifest, fresh, restored, signature };
  }

  /** The second half: the checked copy takes the live database's name. */
  async switchTo(prepared: PreparedRestore): Promise<RestoreReport> {
    const previous = siblingName(this.connection.database, 'before_restore', this.clock());
    try {
      await this.run('switch to the restored database', switchDatabase(this.location.tools, this.connection.database, prepared.fresh, previous, MAINTENANCE_DATABASE), 'SWITCH_FAILED');
    } catch (error) {
      await this.discard(prepared);
      throw error;
    }
    return { ...this.report(prepared.manifest, prepared.fresh, prepared.restored, prepared.signature), database: this.connection.database, previous };
  }

  /** Drops a prepared copy that will not be switched in. */
  async discard(prepared: PreparedRestore): Promise<void> {
    await this.run('drop the restored copy', dropDatabase(this.location.tools, prepared.fresh, MAINTENANCE_DATABASE)).catch(() => undefined);
  }

  /** The environment the database records (`production` refuses restores without --confirm). */
  async environment(): Promise<string | undefined> {
    const line = (await this.run('read the database environment', readEnvironment(this.location.tools))).split('\n').find((entry) => entry.startsWith('environment\t'));
    return line?.split('\t')[1] || undefined;
  }

  /** Removes what retention no longer keeps. @returns the removed ids */
  async prune(retention: Retention): Promise<string[]> {
    const expired = expiredBackups(await this.list(), retention);
    if (expired.length > 0) await this.run('remove expired backups', removeBackups(this.location.dir, expired));
    return expired;
  }

  /** Removes the pre-migration backups of releases that were deleted. @returns the removed ids */
  async removeReleaseBackups(releases: readonly string[]): Promise<string[]> {
    const ids = backupsOfReleases(await this.list(), releases);
    if (ids.length > 0) await this.run('remove the backups of deleted releases', removeBackups(this.location.dir, ids));
    return ids;
  }

  /** Brings a backup's two files (from an offsite copy, in a local directory) back among the backups here. */
  async importFrom(localDir: string, id: string): Promise<void> {
    await this.run('create the backup directory', ensureBackupDirectory(this.location.dir));
    for (const extension of ['dump', 'json'] as const) await this.location.exec.upload(join(localDir, `${id}.${extension}`), this.file(id, extension));
    await this.run('protect the backup', protectBackup(this.location.dir, id));
  }

  /** Copies a backup (dump and manifest) into a local directory. @returns the local dump's path */
  async download(id: string, localDir: string): Promise<string> {
    const manifest = await this.manifest(id);
    for (const extension of ['json', 'dump'] as const) await this.location.exec.download(this.file(manifest.id, extension), join(localDir, `${manifest.id}.${extension}`));
    return join(localDir, manifest.dump.file);
  }
}
