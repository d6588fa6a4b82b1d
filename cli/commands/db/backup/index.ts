import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { BackupCommand, backupFlags, backupJob } from '../../../backup-command';
import { NexusError } from '../../../errors';
import { ExitCode } from '../../../exit-codes';
import { ensurePrivateDirectory } from '../../../exec/private-files';
import { signingKeyMissing } from '../../../services/backup-signing';
import { expiredBackups, type BackupManifest } from '../../../services/backup-manifest';
import { withScratchDirectory } from '../../../services/scratch';
import type { VerifyReport } from '../../../services/backup-manager';
import { defaultJobTime, ScheduledJob, type JobReport } from '../../../services/scheduled-job';
import { parseAt } from '../../ssl/install-timer';
import { checked } from '../../../flags';

interface BackupResult {
  backup: BackupManifest;
  verified: VerifyReport | null;
  pruned: string[];
  downloaded: string | null;
  /** The copy in backups.offsite, and what retention removed there. */
  offsite: { where: string; pruned: string[] } | null;
}

type Result = BackupResult | (JobReport & { removed?: boolean });

function size(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export default class DbBackup extends BackupCommand<Result> {
  static override summary = 'Back up the database: a consistent pg_dump with a manifest, optionally verified by a test restore';
  static override description = `Dumps the database (pg_dump, custom format) from one snapshot, and records beside it a manifest: time, release, migration version, the row count and a checksum of every table, and the dump's size and sha256, signed with the BACKUP_SIGNING_KEY secret (HMAC-SHA256; without it nothing is dumped: create one with \`openssl rand -hex 32\`). Both files are mode 600 in a directory of mode 700. Locally the backups go to .nexus/backups; with --target they stay on the target's first host in <root>/backups (pg_dump runs there: inside the postgres service's container for database: host, else the host's client tools). pg_dump, pg_restore and psql are taken of the server's major version (else newer); without them nothing is written and the error names the version to install. --verify restores the new backup into a scratch database and checks it against the manifest. Retention then keeps the newest backup of each of the last --keep-daily days and --keep-weekly weeks (backups.keep_daily/keep_weekly in nexus.yml); pre-migration backups of deploys are left alone (they go when a deploy prunes their release).

--schedule installs the daily job on the target's first host (cron, like \`nexus ssl install-timer\`): it runs \`nexus db backup --verify\` from the serving image, with BACKUP_SIGNING_KEY in its secrets file.`;

  static override examples = [
    '<%= config.bin %> db backup',
    '<%= config.bin %> db backup --target production --verify --download ./backups',
    '<%= config.bin %> db backup --target production --schedule --at 03:15',
  ];

  static override flags = {
    ...backupFlags,
    verify: Flags.boolean({ description: 'Restore the backup into a scratch database and check it against its manifest.' }),
    download: Flags.string({ description: 'Also copy the backup (dump and manifest) into this local directory.', helpValue: 'DIR' }),
    'keep-daily': Flags.integer({ min: 1, max: 366, description: 'Retention: keep the newest backup of each of the last N days (default: nexus.yml, else 7).' }),
    'keep-weekly': Flags.integer({ min: 0, max: 520, description: 'Retention: keep the newest backup of each of the last N weeks (default: nexus.yml, else 4).' }),
    prune: Flags.boolean({ default: true, allowNo: true, description: 'Apply retention after the backup.' }),
    offsite: Flags.boolean({ default: true, allowNo: true, description: 'Copy the backup to backups.offsite (when configured) and apply retention there.' }),
    kind: Flags.option({ options: ['manual', 'scheduled'] as const, default: 'manual', hidden: true, description: 'Recorded in the manifest.' })(),
    schedule: Flags.boolean({ description: "Install the target's daily backup job instead of backing up now.", dependsOn: ['target'] }),
    unschedule: Flags.boolean({ description: "Remove the target's daily backup job.", dependsOn: ['target'], exclusive: ['schedule'] }),
    at: checked('timeOfDay')({ description: 'With --schedule: time of day (host time, HH:MM); default: one derived from the target.', dependsOn: ['schedule'] }),
    scheduler: Flags.option({ options: ['cron', 'none'] as const, default: 'cron', description: "With --schedule: cron (the deploy user's crontab), or none (install the job and print it, for another scheduler)." })(),
  };

  async run(): Promise<Result> {
    const { flags } = await this.parse(DbBackup);
    const context = await this.backups(flags);
    const { manager, deploy, hosts } = context;
    if ((flags.schedule || flags.unschedule) && deploy) {
      const signingKey = context.trust.keys.current;
      if (flags.schedule && !signingKey) throw signingKeyMissing('install a daily job that signs its backups');
      if (signingKey) deploy.secrets.set('BACKUP_SIGNING_KEY', signingKey);
      const job = new ScheduledJob(hosts, deploy, backupJob(deploy));
      if (flags.unschedule) {
        const changed = await job.remove();
        this.log(changed.length > 0 ? `Removed the backup job of ${deploy.name}.` : `${deploy.name} has no backup job; nothing to remove.`);
        return { job: job.command, schedule: null, changed, removed: true };
      }
      if (deploy.target.backups.offsite?.type === 'filesystem') {
        throw new NexusError(`The daily job cannot copy to backups.offsite of type filesystem (target ${deploy.name}): that directory is where nexus runs, and the job runs nexus in the app image on the host, which does not have it.`, {
          code: 'OFFSITE_UNSUPPORTED',
          exitCode: ExitCode.CONFIG,
          suggestions: ['use an s3 offsite store, or run `nexus db backup --target … --verify` daily from CI instead'],
        });
      }
      const at = flags.at === undefined ? defaultJobTime(deploy, 'db-backup') : parseAt(flags.at);
      const report = await job.install({ scheduler: flags.scheduler, at });
      this.log(report.schedule ? `Scheduled on ${hosts[0]?.exec.host}: ${report.schedule}` : `Installed; schedule this command daily on ${hosts[0]?.exec.host} as ${deploy.target.ssh.user}: ${report.job}`);
      return report;
    }
    if (!context.trust.keys.current) throw signingKeyMissing();
    if (flags.download) {
      const was = await ensurePrivateDirectory(resolve(flags.download));
      if (was !== undefined) this.note(`Made ${resolve(flags.download)} private (mode 700; it was ${was.toString(8)}): it holds backups.`);
    }
    this.note(`Backing up ${context.where}…`);
    const backup = await manager.backup(flags.kind, await context.release());
    const rows = Object.values(backup.tables).reduce((sum, table) => sum + table.rows, 0);
    this.log(`${backup.id}: ${size(backup.dump.bytes)}, ${Object.keys(backup.tables).length} tables, ${rows} rows, migration ${backup.migration.latest || 'none'}`);
    let verified: VerifyReport | null = null;
    if (flags.verify) {
      verified = await manager.verify(backup.id);
      this.log(`${backup.id}: verified (signed; restored into a scratch database, every table's rows and checksum match)`);
    }
    const retention = { daily: flags['keep-daily'] ?? deploy?.target.backups.keep_daily ?? 7, weekly: flags['keep-weekly'] ?? deploy?.target.backups.keep_weekly ?? 4 };
    const pruned = flags.prune ? await manager.prune(retention) : [];
    if (pruned.length > 0) this.log(`Retention removed ${pruned.join(', ')}`);
    const downloaded = flags.download ? await manager.download(backup.id, resolve(flags.download)) : null;
    if (downloaded) this.log(`Downloaded to ${downloaded}`);
    let offsite: BackupResult['offsite'] = null;
    if (context.offsite && flags.offsite) {
      const store = context.offsite;
      await withScratchDirectory(async (scratch) => {
        const local = downloaded ? resolve(flags.download as string) : scratch;
        if (!downloaded) await manager.download(backup.id, scratch);
        await store.put(backup, { dump: join(local, backup.dump.file), manifest: join(local, `${backup.id}.json`) });
      });
      const expired = flags.prune ? expiredBackups(await store.list(), retention) : [];
      await store.remove(expired);
      offsite = { where: store.where, pruned: expired };
      this.log(`Copied to ${store.where}${expired.length > 0 ? `; retention removed ${expired.join(', ')} there` : ''}`);
    }
    return { backup, verified, pruned, downloaded, offsite };
  }
}
