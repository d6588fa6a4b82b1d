import { appReceives } from '../deploy-config/app-env';
import type { DeployTarget } from '../deploy-config/load';
import type { HostConfig } from '../deploy-config/schema';
import { NexusError } from '../errors';
import type { Executor } from '../exec/executor';
import { scrapeAppMetrics } from '../remote/app-metrics';
import { withDockerHost } from '../remote/docker';
import { jobFiles } from '../remote/job-files';
import { HostLayout, projectName } from '../remote/layout';
import { listBackups, verifiedBackups } from './backup-catalog';
import { installedCertificate } from './certificate-manager';
import { certificateStatus } from './certificate-status';
import { DeployLock } from './deploy-lock';
import { headlineMetrics, type HeadlineMetrics } from './headline-metrics';
import { siteHosts } from './health-target';
import { HostDeployer, type ServingState } from './host-deployer';
import { parsePrometheusText } from './prometheus-text';
import { ScheduledJob, type JobSpec, type JobState } from './scheduled-job';

/** One app host: reached or not, what it serves and whether that answers ready, and its API's headline metrics. */
export interface HostStatus {
  address: string;
  reachable: boolean;
  /** Why the host could not be reached or read; `hint` is the next step that failure suggests. */
  error?: string;
  hint?: string;
  serving: ServingState | null;
  ready: boolean;
  /** What the serving release's readiness endpoint answered, or why it was not asked. */
  readiness: string;
  metrics: HeadlineMetrics | null;
  metricsError?: string;
}

/** What is read once per target, on one host; `error` when it could not be read there. */
interface Section {
  host: string;
  error?: string;
}

export interface CertificateFacts extends Section {
  domain: string;
  found: boolean;
  names?: string[];
  issuer?: string;
  notAfter?: string;
  daysLeft?: number;
  renewAt?: string;
}

export interface JobFacts extends Section, JobState {
  /** The job's log on the host (what cron appends its output to). */
  log: string;
}

export interface BackupSummary {
  id: string;
  kind: string;
  createdAt: string;
  ageHours: number;
  verified: boolean;
}

export interface BackupFacts extends Section {
  dir: string;
  count: number;
  newest: BackupSummary | null;
  /** The newest backup with a verification record (it may be the newest itself). */
  newestVerified: BackupSummary | null;
}

export interface LockFacts extends Section {
  held: boolean;
  owner?: string;
  reason?: string;
  acquiredAt?: string;
  expiresAt?: string;
  heldMinutes?: number;
  /** Past its expiry by the host's clock: the next deploy takes it over. */
  expired?: boolean;
}

/** Everything `nexus status` shows about a target, before any judgement (status-rules.ts judges). */
export interface TargetFacts {
  target: string;
  checkedAt: string;
  /** Whether the app gets METRICS_TOKEN, so that its headline metrics can be asked for. */
  metricsConfigured: boolean;
  hosts: HostStatus[];
  certificate: CertificateFacts;
  renewalJob: JobFacts;
  backups: BackupFacts;
  backupJob: JobFacts;
  lock: LockFacts;
}

export interface StatusOptions {
  /** A connection to a host; asked for once per thing read, so it should hand out one shared connection per host. */
  connect(host: HostConfig): Promise<Executor>;
  /** The certificate renewal and daily backup jobs (their specs live with their commands). */
  jobs: { renewal: JobSpec; backup: JobSpec };
  now?: Date;
}

const HOUR = 3_600_000;
const firstLine = (text: string) => text.trim().split('\n')[0]?.slice(0, 300) ?? '';
const message = (error: unknown) => firstLine(error instanceof Error ? error.message : String(error));

/** Reads one section; a failure (or an unreachable host) becomes its `error` instead of ending the whole status. */
async function section<T extends Section>(host: string, fallback: Omit<T, 'host' | 'error'>, read: () => Promise<Omit<T, 'host'>>): Promise<T> {
  try {
    return { host, ...(await read()) } as T;
  } catch (error) {
    return { host, ...fallback, error: message(error) } as T;
  }
}

async function hostMetrics(deploy: DeployTarget, host: HostDeployer, serving: ServingState): Promise<Pick<HostStatus, 'metrics' | 'metricsError'>> {
  const result = await host.exec.run(withDockerHost(scrapeAppMetrics(projectName(deploy.app.name, serving.colour)), deploy.target.docker_host));
  if (result.code !== 0) return { metrics: null, metricsError: firstLine(result.stderr) || `exit ${result.code}` };
  const newline = result.stdout.indexOf('\n');
  if (newline < 0) return { metrics: null, metricsError: 'the scrape printed nothing' };
  return { metrics: headlineMetrics(parsePrometheusText(result.stdout.slice(newline + 1)), Number(result.stdout.slice(0, newline))) };
}

/** One app host: reached or not, what serves there and whether it is ready, its metrics. */
async function readHost(deploy: DeployTarget, host: HostConfig, options: StatusOptions, metricsOn: boolean): Promise<HostStatus> {
  const blank = { address: host.address, serving: null, ready: false, metrics: null };
  let deployer: HostDeployer;
  try {
    deployer = new HostDeployer(await options.connect(host), deploy);
  } catch (error) {
    const hint = error instanceof NexusError ? error.suggestions[0] : undefined;
    return { ...blank, reachable: false, error: message(error), ...(hint ? { hint } : {}), readiness: 'not asked: the host cannot be reached' };
  }
  try {
    const serving = (await deployer.serving()) ?? null;
    if (!serving) return { ...blank, reachable: true, readiness: 'not asked: no release serves (nothing deployed)' };
    const [failure, metrics] = await Promise.all([deployer.waitUntilReady(serving.port, 0), metricsOn ? hostMetrics(deploy, deployer, serving) : { metrics: null }]);
    return { ...blank, reachable: true, serving, ready: failure === undefined, readiness: failure === undefined ? 'ready' : firstLine(failure), ...metrics };
  } catch (error) {
    return { ...blank, reachable: true, error: message(error), readiness: 'not asked: the host could not be read' };
  }
}

function summary(manifest: { id: string; kind: string; createdAt: string }, verified: ReadonlySet<string>, now: Date): BackupSummary {
  const ageHours = Math.round(((now.getTime() - Date.parse(manifest.createdAt)) / HOUR) * 10) / 10;
  return { id: manifest.id, kind: manifest.kind, createdAt: manifest.createdAt, ageHours, verified: verified.has(manifest.id) };
}

/**
 * Reads a target's state, all at once: every app host (one that cannot be reached is reported, not fatal), and
 * what lives once per target: the deploy lock, the backups and both scheduled jobs on the first app host, and the
 * certificate where TLS ends (the nginx load balancer's host when there is one, else the first app host).
 */
export async function gatherTargetStatus(deploy: DeployTarget, options: StatusOptions): Promise<TargetFacts> {
  const now = options.now ?? new Date();
  const { target } = deploy;
  const metricsConfigured = appReceives(deploy, 'METRICS_TOKEN');
  const hosts = Promise.all(target.hosts.map((host) => readHost(deploy, host, options, metricsConfigured)));
  const layout = HostLayout.of(target);
  const on = (host: HostConfig) => async () => new HostDeployer(await options.connect(host), deploy);
  const firstHost = target.hosts[0] as HostConfig;
  const firstAddress = firstHost.address;
  // An unreachable first host fails each of these with its connection error, which its own host entry reports.
  const onFirst = <T>(work: (host: HostDeployer) => Promise<T>): (() => Promise<T>) => async () => work(await on(firstHost)());

  const job = (spec: JobSpec) => {
    const log = jobFiles(layout.job(spec.name)).log;
    return section<JobFacts>(firstAddress, { installed: false, schedule: null, lastRun: null, log }, onFirst(async (host) => ({ ...(await new ScheduledJob([host], deploy, spec).state()), log })));
  };

  const domain = target.domains[0] as string;
  const tlsHost = siteHosts(target)[0] as HostConfig;
  const certificate = section<CertificateFacts>(tlsHost.address, { domain, found: false }, async () => {
    const pem = await installedCertificate(await on(tlsHost)(), domain);
    if (pem === undefined) return { domain, found: false };
    const status = certificateStatus(domain, pem, target.tls.renew_fraction, now);
    return { domain, found: true, names: status.names, issuer: status.issuer, notAfter: status.notAfter, daysLeft: status.daysLeft, renewAt: status.renewAt };
  });

  const backupDir = layout.backups;
  const backups = section<BackupFacts>(firstAddress, { dir: backupDir, count: 0, newest: null, newestVerified: null }, onFirst(async (host) => {
    const [manifests, verified] = await Promise.all([listBackups(host.exec, backupDir), verifiedBackups(host.exec, backupDir)]);
    const newest = manifests.at(-1);
    const newestVerified = manifests.filter((manifest) => verified.has(manifest.id)).at(-1);
    return { dir: backupDir, count: manifests.length, newest: newest ? summary(newest, verified, now) : null, newestVerified: newestVerified ? summary(newestVerified, verified, now) : null };
  }));

  const lock = section<LockFacts>(firstAddress, { held: false }, onFirst(async (host) => {
    const details = await new DeployLock(host.exec, target.root).status();
    if (!details) return { held: false };
    return {
      held: true,
      owner: details.owner,
      reason: details.reason,
      acquiredAt: new Date(details.acquired_at * 1000).toISOString(),
      expiresAt: new Date(details.expires_at * 1000).toISOString(),
      heldMinutes: Math.floor((now.getTime() / 1000 - details.acquired_at) / 60),
      expired: details.expires_at * 1000 <= now.getTime(),
    };
  }));

  const [hostStates, certificateFacts, renewalJob, backupFacts, backupJob, lockFacts] = await Promise.all([hosts, certificate, job(options.jobs.renewal), backups, job(options.jobs.backup), lock]);
  return {
    target: deploy.name,
    checkedAt: now.toISOString(),
    metricsConfigured,
    hosts: hostStates,
    certificate: certificateFacts,
    renewalJob,
    backups: backupFacts,
    backupJob,
    lock: lockFacts,
  };
}
