import { backupJob } from '../backup-command';
import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { HeadlineMetrics } from '../services/headline-metrics';
import { BACKUP_MAX_AGE_HOURS, CERTIFICATE_MIN_DAYS, LOCK_MAX_MINUTES, statusProblems, type Problem } from '../services/status-rules';
import { gatherTargetStatus, type BackupSummary, type HostStatus, type JobFacts, type TargetFacts } from '../services/target-status';
import { renewalJob } from '../ssl-command';
import { TargetCommand, targetFlags } from '../target-command';

export type TargetStatus = TargetFacts & { ok: boolean; problems: Problem[] };

const percent = (ratio: number | null) => (ratio === null ? '-' : `${(ratio * 100).toFixed(2)}%`);
const duration = (seconds: number | null) => (seconds === null ? '-' : seconds < 1 ? `${(seconds * 1000).toFixed(1)} ms` : `${seconds.toFixed(2)} s`);

function metricsCells(host: HostStatus): string[] {
  const metrics: HeadlineMetrics | null = host.metrics;
  // Why a host has none is printed under the table: the column stays narrow.
  if (!metrics) return [host.metricsError ? 'n/a' : '-', '', ''];
  return [metrics.requestsPerSecond === null ? '-' : `${metrics.requestsPerSecond}`, percent(metrics.serverErrorRatio), duration(metrics.p99Seconds)];
}

function hostCells(host: HostStatus, metrics: boolean): string[] {
  const ssh = host.reachable ? 'ok' : 'UNREACHABLE';
  const serving = host.serving ? `${host.serving.release} (${host.serving.colour})` : '-';
  const ready = !host.reachable || host.error ? '-' : host.ready ? 'ready' : host.serving ? `NOT READY: ${host.readiness.slice(0, 40)}` : 'nothing deployed';
  return [host.address, ssh, serving, ready, ...(metrics ? metricsCells(host) : [])];
}

/** Rows of cells as aligned columns, two spaces apart. */
function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => `  ${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ')}`.trimEnd());
}

function describeJob(job: JobFacts): string {
  if (job.error !== undefined) return `unknown (${job.error})`;
  if (!job.installed) return 'not installed';
  const last = job.lastRun ? `last run ${job.lastRun.at}, ${job.lastRun.exit === 0 ? 'succeeded' : `FAILED (exit ${job.lastRun.exit})`}` : 'not run yet';
  return `${job.schedule ? 'daily (cron)' : 'installed, not scheduled by nexus'}; ${last}`;
}

const describeBackup = (backup: BackupSummary) => `${backup.id}, ${backup.ageHours} h old, ${backup.verified ? 'verified' : 'NOT verified'}`;

function describe(status: TargetStatus): string[] {
  const { certificate: cert, backups, lock } = status;
  const certificate =
    cert.error !== undefined ? `unknown (${cert.error})` : !cert.found ? `none for ${cert.domain} on ${cert.host}` : `${cert.domain}: ${cert.daysLeft} days left (until ${cert.notAfter}), ${cert.issuer}; on ${cert.host}`;
  const newest = backups.newest ? describeBackup(backups.newest) : 'none';
  const verified = backups.newestVerified && backups.newestVerified.id !== backups.newest?.id ? `; newest verified ${describeBackup(backups.newestVerified)}` : '';
  const held = lock.held ? `held by ${lock.owner} for ${lock.heldMinutes} min ("${lock.reason}")${lock.expired ? ', expired: the next deploy takes it over' : `, until ${lock.expiresAt}`}` : 'free';
  return [
    `certificate   ${certificate}`,
    `renewal job   ${describeJob(status.renewalJob)}`,
    `backups       ${backups.error !== undefined ? `unknown (${backups.error})` : `${newest}${verified} (${backups.count} in ${backups.dir})`}`,
    `backup job    ${describeJob(status.backupJob)}`,
    `deploy lock   ${lock.error !== undefined ? `unknown (${lock.error})` : held}`,
    `metrics       ${status.metricsConfigured ? 'REQ/S averaged since each API process started; 5XX share and P99 over the same time, all routes' : 'not configured (METRICS_TOKEN is not among the settings the app gets)'}`,
  ];
}

export default class Status extends TargetCommand<TargetStatus> {
  static override summary = "One view of a target: each host's release and readiness, the certificate, backups, the deploy lock, headline metrics";

  static override description = `Reads, over SSH, each app host's serving release and colour and asks its readiness endpoint on the host (a host that cannot be reached is shown as such, the others still are); on the first app host the deploy lock, the newest backup (its age, and whether a verification restored it), the certificate renewal and daily backup jobs' last runs; the certificate where TLS ends (the nginx load balancer's host, else the first app host). When the app gets METRICS_TOKEN, each host's API is asked for its metrics from inside its container (the token never leaves it): requests per second averaged since the process started, the share of 5xx answers and p99 latency.

Exit ${ExitCode.HEALTH_CHECK_FAILED} when anything needs attention, each problem with one line saying what to do: a host unreachable, with nothing deployed, or not ready; no certificate, or one with fewer than ${CERTIFICATE_MIN_DAYS} days left; no verified backup younger than ${BACKUP_MAX_AGE_HOURS} h; a scheduled job whose last run failed; a deploy lock held for more than ${LOCK_MAX_MINUTES} min and not expired. --json prints the report (on exit ${ExitCode.HEALTH_CHECK_FAILED}, as error.details); nothing is ever asked.`;

  static override examples = ['<%= config.bin %> status --target production', '<%= config.bin %> status -t production --json'];
  static override flags = targetFlags;

  async run(): Promise<TargetStatus> {
    const { flags } = await this.parse(Status);
    const deploy = this.loadTarget(flags);
    const facts = await gatherTargetStatus(deploy, { connect: (host) => this.connect(deploy, host), jobs: { renewal: renewalJob(deploy), backup: backupJob(deploy) } });
    const problems = statusProblems(facts);
    const { target, ...rest } = facts;
    const status: TargetStatus = { target, ok: problems.length === 0, ...rest, problems };
    this.log(`${status.target}: ${status.hosts.length} app host${status.hosts.length === 1 ? '' : 's'}, checked ${status.checkedAt}`);
    const header = ['HOST', 'SSH', 'SERVING', 'READINESS', ...(status.metricsConfigured ? ['REQ/S', '5XX', 'P99'] : [])];
    for (const line of table([header, ...status.hosts.map((host) => hostCells(host, status.metricsConfigured))])) this.log(line);
    for (const host of status.hosts) if (host.metricsError) this.log(`  ${host.address}: metrics unavailable: ${host.metricsError}`);
    for (const line of describe(status)) this.log(line);
    if (problems.length > 0) {
      throw new NexusError(`${status.target} needs attention: ${problems.length} problem${problems.length === 1 ? '' : 's'}.`, {
        code: 'NEEDS_ATTENTION',
        exitCode: ExitCode.HEALTH_CHECK_FAILED,
        details: status,
        suggestions: problems.map((problem) => `${problem.what}: ${problem.fix}`),
      });
    }
    this.log('Nothing needs attention.');
    return status;
  }
}
