import type { BackupFacts, HostStatus, JobFacts, LockFacts, TargetFacts } from './target-status';

/**
 * What `nexus status` counts as needing attention, and what to do about each (docs/observability.md). Pure:
 * the same facts always give the same problems. Anything not listed here is shown, never judged.
 */

/** A certificate with fewer days left needs renewing now: the daily renewal starts at a third of the lifetime (30 days for Let's Encrypt), so 14 means it has failed for two weeks. */
export const CERTIFICATE_MIN_DAYS = 14;
/** A daily backup plus two hours of slack: an older newest verified backup means a day was missed. */
export const BACKUP_MAX_AGE_HOURS = 26;
/** A deploy or renewal holds the deploy lock for minutes; one still valid after an hour blocks deploys for no good reason. */
export const LOCK_MAX_MINUTES = 60;

export type StatusCheck = 'host' | 'certificate' | 'renewal-job' | 'backup' | 'backup-job' | 'lock';

export interface Problem {
  check: StatusCheck;
  /** What is wrong, in one line. */
  what: string;
  /** What to do, in one line (a command to run, a log to read). */
  fix: string;
}

const reachHint = (host: string, target: string) => `check that ${host} is up and answers SSH (\`ssh\` to it from here), then \`nexus status --target ${target}\` again`;

function hostProblem(host: HostStatus, target: string): Problem | undefined {
  const logs = `\`nexus logs app --target ${target} --host ${host.address}\``;
  if (!host.reachable) return { check: 'host', what: host.error ?? `${host.address} cannot be reached`, fix: host.hint ?? reachHint(host.address, target) };
  if (host.error) return { check: 'host', what: `the state of ${host.address} could not be read: ${host.error}`, fix: `\`nexus debug --target ${target}\` shows what the host has` };
  if (!host.serving) return { check: 'host', what: `no release serves on ${host.address} (nothing deployed)`, fix: `deploy: \`nexus deploy --target ${target}\`` };
  if (!host.ready) {
    const { release, colour, port } = host.serving;
    return { check: 'host', what: `${host.address}: release ${release} (${colour}, port ${port}) is not ready: ${host.readiness.slice(0, 160)}`, fix: `see why in ${logs}; \`nexus deploy rollback --target ${target}\` serves the previous release` };
  }
  return undefined;
}

/**
 * A section read on a host that is itself reported unreachable adds nothing: the host's own problem says it.
 * @returns the problem for a section that could not be read, or undefined
 */
function unreadable(check: StatusCheck, what: string, facts: { host: string; error?: string }, hosts: readonly HostStatus[], target: string): Problem | undefined {
  if (facts.error === undefined) return undefined;
  if (hosts.some((host) => host.address === facts.host && (!host.reachable || host.error))) return undefined;
  return { check, what: `${what} could not be read on ${facts.host}: ${facts.error}`, fix: reachHint(facts.host, target) };
}

function jobProblem(check: StatusCheck, name: string, job: JobFacts, then: string): Problem | undefined {
  if (!job.lastRun || job.lastRun.exit === 0) return undefined;
  return { check, what: `the ${name} job's last run (${job.lastRun.at}) failed with exit ${job.lastRun.exit}`, fix: `read ${job.log} on ${job.host}; ${then}` };
}

function backupProblem(backups: BackupFacts, job: JobFacts, target: string): Problem | undefined {
  const backupNow = `\`nexus db backup --target ${target} --verify\``;
  const daily = job.installed ? '' : `; \`nexus db backup --schedule --target ${target}\` makes one every day`;
  const { newest, newestVerified } = backups;
  if (!newest) return { check: 'backup', what: `no backup of the database in ${backups.dir} on ${backups.host}`, fix: `back up now: ${backupNow}${daily}` };
  if (newestVerified && newestVerified.ageHours <= BACKUP_MAX_AGE_HOURS) return undefined;
  if (newest.ageHours > BACKUP_MAX_AGE_HOURS) {
    return { check: 'backup', what: `the newest backup, ${newest.id}, is ${newest.ageHours} h old (more than ${BACKUP_MAX_AGE_HOURS} h)`, fix: `back up now: ${backupNow}${daily}` };
  }
  const verify = `\`nexus db backup verify ${newest.id} --target ${target}\``;
  // The daily job always verifies: a scheduled backup it made without a record means its gate refused the write (installed by an older nexus).
  const unrecorded = newest.kind === 'scheduled' && job.lastRun?.exit === 0;
  return {
    check: 'backup',
    what: `the newest backup, ${newest.id} (${newest.ageHours} h old), has not been verified, and no verified one is under ${BACKUP_MAX_AGE_HOURS} h old`,
    fix: unrecorded ? `reinstall the daily job so that it may record its verifications: \`nexus db backup --schedule --target ${target}\`; meanwhile ${verify}` : `verify it: ${verify}`,
  };
}

function lockProblem(lock: LockFacts, target: string): Problem | undefined {
  if (!lock.held || lock.expired || (lock.heldMinutes ?? 0) <= LOCK_MAX_MINUTES) return undefined;
  return {
    check: 'lock',
    what: `the deploy lock has been held for ${lock.heldMinutes} min by ${lock.owner} ("${lock.reason}"), until ${lock.expiresAt}: deploys and renewals wait`,
    fix: `if that run is over or gone: \`nexus lock release --target ${target}\``,
  };
}

/** Every problem of a target, hosts first, each with its fix; empty when nothing needs attention. */
export function statusProblems(facts: TargetFacts): Problem[] {
  const { target, hosts, certificate, renewalJob, backups, backupJob, lock } = facts;
  const problems: (Problem | undefined)[] = hosts.map((host) => hostProblem(host, target));
  const renewEvery = renewalJob.installed ? '' : ` (and \`nexus ssl install-timer --target ${target}\` to renew daily)`;
  if (certificate.error !== undefined) problems.push(unreadable('certificate', 'the certificate', certificate, hosts, target));
  else if (!certificate.found) problems.push({ check: 'certificate', what: `no certificate for ${certificate.domain} on ${certificate.host}: the site serves plain HTTP`, fix: `issue one: \`nexus ssl issue --target ${target}\`${renewEvery}` });
  else if ((certificate.daysLeft ?? 0) < CERTIFICATE_MIN_DAYS) {
    const left = (certificate.daysLeft ?? 0) < 0 ? `expired on ${certificate.notAfter}` : `expires in ${certificate.daysLeft} days (${certificate.notAfter}; under ${CERTIFICATE_MIN_DAYS})`;
    problems.push({ check: 'certificate', what: `the certificate of ${certificate.domain} ${left}`, fix: `renew it: \`nexus ssl renew --target ${target}\`${renewEvery}` });
  }
  problems.push(renewalJob.error !== undefined ? unreadable('renewal-job', 'the renewal job', renewalJob, hosts, target) : jobProblem('renewal-job', 'certificate renewal', renewalJob, `renew by hand meanwhile: \`nexus ssl renew --target ${target}\``));
  problems.push(backups.error !== undefined ? unreadable('backup', 'the backups', backups, hosts, target) : backupProblem(backups, backupJob, target));
  problems.push(backupJob.error !== undefined ? unreadable('backup-job', 'the backup job', backupJob, hosts, target) : jobProblem('backup-job', 'daily backup', backupJob, `back up by hand meanwhile: \`nexus db backup --target ${target} --verify\``));
  problems.push(lock.error !== undefined ? unreadable('lock', 'the deploy lock', lock, hosts, target) : lockProblem(lock, target));
  return problems.filter((problem): problem is Problem => problem !== undefined);
}
