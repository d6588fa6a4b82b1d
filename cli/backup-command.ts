import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { loadBackupKeys } from './deploy-config/backup-keys';
import { DeployConfigError, type DeployTarget } from './deploy-config/load';
import { loadSecrets } from './deploy-config/secrets';
import { NexusError, UsageError } from './errors';
import { ExitCode } from './exit-codes';
import { LocalExecutor } from './exec/local-executor';
import { checked, sharedFlags } from './flags';
import { packageRoot } from './package-root';
import { BackupManager } from './services/backup-manager';
import { assertBackupId, type BackupManifest } from './services/backup-manifest';
import type { BackupTrust } from './services/backup-trust';
import { backupFiles, checkBackupFiles, isBackupPath } from './services/backup-file';
import { FilesystemStore, type OffsiteStore } from './services/offsite-store';
import { withScratchDirectory } from './services/scratch';
import { HostDeployer } from './services/host-deployer';
import { backupJobCalls } from './services/job-allow-lists';
import { resolveDatabaseTarget } from './services/database';
import { localPgTools } from './services/pg-client-tools';
import { pgConnection, targetPgConnection } from './services/pg-connection';
import type { JobSpec } from './services/scheduled-job';
import { TargetCommand } from './target-command';

/** Where a backup command works: this machine's database and directory, or a target's (over SSH). */
export const backupFlags = {
  target: checked('target')({ char: 't', description: "Target from nexus.yml: back up its database, keeping the backups in <root>/backups on its first host." }),
  dir: sharedFlags.projectDir,
  'database-url': { ...sharedFlags.databaseUrl, exclusive: ['target'] },
  'backup-dir': Flags.string({ description: 'Where local backups are kept. Default: <dir>/.nexus/backups.', exclusive: ['target'] }),
};

export interface BackupContext {
  manager: BackupManager;
  /** The signing keys, and whether --allow-unsigned lets other backups through. */
  trust: BackupTrust;
  /** The target's offsite copy (backups.offsite), if it has one. */
  offsite?: OffsiteStore;
  /** The target, or undefined for a local database. */
  deploy?: DeployTarget;
  hosts: HostDeployer[];
  /** What a manifest records as the release: the serving one on a target, this checkout's version locally. */
  release(): Promise<string | null>;
  /** Where the backups are, for messages. */
  where: string;
}

const S3_SECRETS = ['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'];

function offsiteSecretNames(deploy: DeployTarget): string[] {
  return deploy.target.backups.offsite?.type === 's3' ? S3_SECRETS : [];
}

/** An external database is reached with the DATABASE_URL secret; the on-host service needs none (its own container's socket). */
function databaseSecretNames(deploy: DeployTarget): string[] {
  return deploy.target.database === 'external' ? ['DATABASE_URL'] : [];
}

/**
 * The host's daily backup: `nexus db backup --kind scheduled --verify`, with the secrets it needs; it signs
 * its backups, so BACKUP_SIGNING_KEY goes into the job's secrets file (mode 600, beside neither the backups
 * nor the offsite copies). The previous keys stay with the operator: the job only checks what it just made.
 */
export function backupJob(deploy: DeployTarget): JobSpec {
  return { name: 'db-backup', args: ['db', 'backup', '--kind', 'scheduled', '--verify'], secrets: [...databaseSecretNames(deploy), ...offsiteSecretNames(deploy), 'BACKUP_SIGNING_KEY'], calls: backupJobCalls(deploy) };
}

async function offsiteStore(deploy: DeployTarget): Promise<OffsiteStore | undefined> {
  const offsite = deploy.target.backups.offsite;
  if (!offsite) return undefined;
  if (offsite.type === 'filesystem') return new FilesystemStore(resolve(dirname(deploy.files[0] ?? '.'), offsite.path));
  const { S3Store } = await import('./services/s3-store.js');
  const secret = (name: string) => deploy.secrets.get(name)?.reveal() ?? '';
  return new S3Store(offsite, { accessKeyId: secret('S3_ACCESS_KEY_ID'), secretAccessKey: secret('S3_SECRET_ACCESS_KEY') });
}

function localRelease(): string {
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return `local ${version}`;
}

/** The backup a verify or restore works on. */
export interface ChosenBackup {
  id: string;
  /** Its manifest, already checked here (a backup given by path). */
  manifest?: BackupManifest;
  /** Puts it where the backups are, if it is not there yet (a path, with --target). */
  place(): Promise<void>;
}

/** For the commands that restore a backup (verify, restore, deploy rollback --with-data). */
export const allowUnsignedFlag = {
  'allow-unsigned': Flags.boolean({
    description: 'Use a backup whose signature is missing or does not check out (e.g. one made before backups were signed), with a warning. Anyone who could write the backups could have replaced it.',
  }),
};

/** --from-offsite for the commands that read one backup. */
export const fromOffsiteFlag = {
  'from-offsite': Flags.boolean({ description: 'Take the backup from backups.offsite (copied back to the host first), e.g. when the host lost its own.', dependsOn: ['target'] }),
};

/**
 * A flag that works on the offsite copies, on a target that has none: the command line is fine, the
 * configuration lacks what it needs (exit 3), and the message names the key to add.
 */
export function offsiteMissing(deploy: DeployTarget, flag: '--offsite' | '--from-offsite'): NexusError {
  return new NexusError(`${flag} works on the offsite copies, and target ${deploy.name} has none: backups.offsite is not set in ${deploy.files.join(' + ')}.`, {
    code: 'OFFSITE_NOT_CONFIGURED',
    exitCode: ExitCode.CONFIG,
    suggestions: [`add a backups.offsite block (s3 or filesystem) to target ${deploy.name} (docs/backups.md, "Off the host"), or run the command without ${flag} to use the host's backups`],
  });
}

/** Base of `nexus db backup …` and `nexus db restore`: resolves where the database and its backups are. */
export abstract class BackupCommand<T> extends TargetCommand<T> {
  /** With --from-offsite: copies the backup from the offsite store to where the backups are, then it is used as usual. */
  protected async fetchFromOffsite(context: BackupContext, id: string): Promise<void> {
    const store = context.offsite;
    if (!store) throw context.deploy ? offsiteMissing(context.deploy, '--from-offsite') : new UsageError('--from-offsite needs --target.');
    assertBackupId(id);
    await withScratchDirectory(async (scratch) => {
      await store.fetch(id, scratch);
      // Checked before it reaches the host, where it would replace the host's own copy of that backup.
      await checkBackupFiles({ dir: scratch, id }, context.trust, `the offsite dump of ${id}`, 'nothing was copied to the host');
      await context.manager.importFrom(scratch, id);
    });
    this.note(`Copied ${id} from ${store.where} to ${context.where}.`);
  }

  /**
   * The backup a command's argument names: an id among the backups, or the path of a backup's dump with its
   * manifest beside it (one downloaded earlier or copied from another machine). A path is checked here
   * first (signature, then the dump's sha256), as an offsite copy is, and then used where it is (locally) or,
   * with --target, copied among the host's backups by `place` (restore calls it once confirmed).
   */
  protected async backupArgument(context: BackupContext, argument: string, fromOffsite = false): Promise<ChosenBackup> {
    const nothing = () => Promise.resolve();
    if (!isBackupPath(argument)) {
      if (fromOffsite) await this.fetchFromOffsite(context, argument);
      return { id: argument, place: nothing };
    }
    if (fromOffsite) throw new UsageError('--from-offsite takes a backup id, not a path.', ['pass the id, or the path without --from-offsite']);
    const files = backupFiles(argument);
    const manifest = await checkBackupFiles(files, context.trust, `the dump ${join(files.dir, `${files.id}.dump`)}`, 'nothing was restored');
    if (!context.deploy) {
      context.manager = context.manager.at(files.dir);
      return { id: files.id, manifest, place: nothing };
    }
    const place = async () => {
      await context.manager.importFrom(files.dir, files.id);
      this.note(`Copied ${files.id} from ${files.dir} to ${context.where}.`);
    };
    return { id: files.id, manifest, place };
  }

  /**
   * `listOffsite`: the command works on the offsite copies themselves (`db backup list --offsite`). Not
   * `db backup`'s own --offsite, which copies there only when a store is configured.
   */
  protected async backups(flags: { target?: string; dir: string; 'database-url'?: string; 'backup-dir'?: string; 'allow-unsigned'?: boolean; 'from-offsite'?: boolean }, listOffsite = false): Promise<BackupContext> {
    // A backup may be checked more than once (fetched from offsite, before the confirmation, before restoring): one warning is enough.
    const warned = new Set<string>();
    const warn = (message: string) => {
      if (!warned.has(message)) this.note(message);
      warned.add(message);
    };
    const trust: BackupTrust = { keys: loadBackupKeys(flags.dir), allowUnsigned: flags['allow-unsigned'] ?? false, warn };
    if (!flags.target) {
      const database = resolveDatabaseTarget(flags['database-url']);
      const dir = resolve(flags['backup-dir'] ?? join(flags.dir, '.nexus', 'backups'));
      return { manager: new BackupManager({ exec: new LocalExecutor(), dir, tools: localPgTools() }, pgConnection(database.url), trust), trust, hosts: [], release: () => Promise.resolve(localRelease()), where: dir };
    }
    const deploy = this.loadTarget({ target: flags.target, dir: flags.dir });
    const { secrets, missing } = loadSecrets([...databaseSecretNames(deploy), ...offsiteSecretNames(deploy)], flags.dir, process.env);
    if (missing.length > 0) throw new DeployConfigError(`Missing secret${missing.length > 1 ? 's' : ''}: ${missing.join(', ')} (the database to back up, and the offsite storage's credentials).`, ['export it, or add it to .nexus/secrets']);
    for (const [name, secret] of secrets) deploy.secrets.set(name, secret);
    // What the configuration cannot serve is refused before connecting to any host.
    if (!deploy.target.backups.offsite && (listOffsite || flags['from-offsite'])) throw offsiteMissing(deploy, listOffsite ? '--offsite' : '--from-offsite');
    targetPgConnection(deploy);
    const hosts: HostDeployer[] = [];
    for (const host of deploy.target.hosts) hosts.push(new HostDeployer(await this.connect(deploy, host), deploy));
    const first = hosts[0] as HostDeployer;
    return {
      manager: first.backups(trust),
      trust,
      offsite: await offsiteStore(deploy),
      deploy,
      hosts,
      release: async () => (await first.serving())?.release ?? null,
      where: `${first.exec.host}:${first.layout.backups}`,
    };
  }
}
