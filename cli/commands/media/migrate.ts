import { Flags } from '@oclif/core';
import { NexusCommand } from '../../base-command';
import { NexusError } from '../../errors';
import { ExitCode } from '../../exit-codes';
import type { MediaMigrationReport } from '../../services/media-migration';

export default class MediaMigrate extends NexusCommand<MediaMigrationReport> {
  static override summary = 'Copy the local product images to the S3 bucket';

  static override description =
    'Copies every file under MEDIA_ROOT to MEDIA_S3_BUCKET under MEDIA_S3_PREFIX, keeping its key, so that the images the database names are found once the API runs with MEDIA_STORAGE=s3. Settings come from the environment, as for the API (MEDIA_ROOT, MEDIA_S3_*; docs/media.md). A file the bucket already holds with the same size is left alone, so the command is safe to re-run (after a failure, or once more after switching over to catch late uploads). Local files are never deleted. Exits 1 when any file could not be copied, naming it and why.';

  static override examples = [
    'MEDIA_S3_BUCKET=shop-media MEDIA_S3_ACCESS_KEY_ID=… MEDIA_S3_SECRET_ACCESS_KEY=… <%= config.bin %> media migrate --to s3',
    '<%= config.bin %> media migrate --to s3 --dry-run --json',
  ];

  static override flags = {
    to: Flags.string({ description: 'Where to copy the images to.', options: ['s3'], required: true }),
    'dry-run': Flags.boolean({ description: 'Only count what would be copied; write nothing.' }),
  };

  async run(): Promise<MediaMigrationReport> {
    const { flags } = await this.parse(MediaMigrate);
    const { ConfigError, mediaConfig } = await import('../../../api/config/index.js');
    let media;
    try {
      media = mediaConfig(process.env, 's3');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new NexusError(error.message, { code: 'CONFIG_INVALID', exitCode: ExitCode.CONFIG, suggestions: ['set the variables named above (docs/media.md, docs/configuration.md)'] });
    }
    const { S3Bucket } = await import('../../../api/infra/s3.js');
    const { migrateMediaToS3 } = await import('../../services/media-migration.js');
    const { credentials, ...location } = media.s3 as NonNullable<typeof media.s3>;
    const bucket = new S3Bucket(location, credentials);
    let report: MediaMigrationReport;
    try {
      report = await migrateMediaToS3({ root: media.root, bucket, dryRun: flags['dry-run'] === true, progress: (line) => this.jsonEnabled() || this.note(line) });
    } finally {
      bucket.close();
    }
    const verb = report.dryRun ? 'Would copy' : 'Copied';
    this.log(`${verb} ${report.copied} of ${report.files} file(s) from ${report.from} to ${report.where}; ${report.alreadyThere} already there, ${report.failed} failed.`);
    if (report.failed > 0) {
      const first = report.failures[0] as { file: string; reason: string };
      throw new NexusError(`${report.failed} file(s) could not be copied to ${report.where}; the first, ${first.file}: ${first.reason}`, {
        code: 'MEDIA_MIGRATE_FAILED',
        details: report,
        suggestions: ['fix the cause and run the command again: what was copied is skipped'],
      });
    }
    return report;
  }
}
