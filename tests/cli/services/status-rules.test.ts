import { BACKUP_MAX_AGE_HOURS, CERTIFICATE_MIN_DAYS, LOCK_MAX_MINUTES, statusProblems } from '../../../cli/services/status-rules';
import type { BackupSummary, HostStatus, TargetFacts } from '../../../cli/services/target-status';

const SERVING = { release: '20261201T100000Z-1.4.0', colour: 'green' as const, port: 8001, since: '2026-12-01T10:02:00Z' };
const host = (address: string, extra: Partial<HostStatus> = {}): HostStatus => ({ address, reachable: true, serving: SERVING, ready: true, readiness: 'ready', metrics: null, ...extra });
const backup = (id: string, ageHours: number, verified: boolean): BackupSummary => ({ id, kind: /Z-([a-z-]+?)(-\d|$)/.exec(id)?.[1] ?? '', createdAt: '2026-12-02T03:15:00Z', ageHours, verified });
const job = (name: string, extra: object = {}) => ({ host: '203.0.113.10', installed: true, schedule: `15 3 * * * sh /srv/shop/jobs/${name}/run.sh`, lastRun: { at: '2026-12-02T03:15:00Z', exit: 0, image: 'shop:1.4.0' }, log: `/srv/shop/jobs/${name}/job.log`, ...extra });

/** A target where everything is in order; each test breaks one thing. */
function healthy(): TargetFacts {
  return {
    target: 'prod',
    checkedAt: '2026-12-02T12:00:00Z',
    metricsConfigured: false,
    hosts: [host('203.0.113.10'), host('203.0.113.11')],
    certificate: { host: '203.0.113.10', domain: 'shop.example.com', found: true, daysLeft: 60, notAfter: '2027-01-31T00:00:00.000Z' },
    renewalJob: job('ssl-renew'),
    backups: { host: '203.0.113.10', dir: '/srv/shop/backups', count: 3, newest: backup('20261202T031500Z-scheduled', 8.8, true), newestVerified: backup('20261202T031500Z-scheduled', 8.8, true) },
    backupJob: job('db-backup'),
    lock: { host: '203.0.113.10', held: false },
  };
}

const checks = (facts: TargetFacts) => statusProblems(facts).map((problem) => problem.check);

describe('status rules: what needs attention, and the one line saying what to do', () => {
  it('When everything is in order (a fresh lock held by a deploy is fine too), then there is no problem', () => {
    expect(statusProblems(healthy())).toEqual([]);
    const deploying = { ...healthy(), lock: { host: '203.0.113.10', held: true, owner: 'ci@runner', reason: 'nexus deploy', heldMinutes: 4, expired: false } };
    expect(statusProblems(deploying)).toEqual([]);
  });

  it(`When the certificate has fewer than ${CERTIFICATE_MIN_DAYS} days left, has expired or is missing, then renewing or issuing is the fix, with install-timer when nothing renews daily`, () => {
    expect(statusProblems({ ...healthy(), certificate: { ...healthy().certificate, daysLeft: CERTIFICATE_MIN_DAYS } })).toEqual([]);
    const soon = { ...healthy(), certificate: { ...healthy().certificate, daysLeft: 13 } };
    expect(statusProblems(soon)).toEqual([{ check: 'certificate', what: 'the certificate of shop.example.com expires in 13 days (2027-01-31T00:00:00.000Z; under 14)', fix: 'renew it: `nexus ssl renew --target prod`' }]);
    const expired = { ...healthy(), certificate: { ...healthy().certificate, daysLeft: -2 }, renewalJob: job('ssl-renew', { installed: false, schedule: null, lastRun: null }) };
    expect(statusProblems(expired)).toEqual([
      { check: 'certificate', what: 'the certificate of shop.example.com expired on 2027-01-31T00:00:00.000Z', fix: 'renew it: `nexus ssl renew --target prod` (and `nexus ssl install-timer --target prod` to renew daily)' },
    ]);
    const none = { ...healthy(), certificate: { host: '203.0.113.10', domain: 'shop.example.com', found: false } };
    expect(statusProblems(none)[0]?.fix).toBe('issue one: `nexus ssl issue --target prod`');
  });

  it(`When the newest verified backup is more than ${BACKUP_MAX_AGE_HOURS} h old, or the recent ones are not verified, or there is none, then backing up or verifying is the fix`, () => {
    const stale = backup('20261201T031500Z-scheduled', 32.5, true);
    expect(statusProblems({ ...healthy(), backups: { ...healthy().backups, newest: stale, newestVerified: stale } })).toEqual([
      { check: 'backup', what: 'the newest backup, 20261201T031500Z-scheduled, is 32.5 h old (more than 26 h)', fix: 'back up now: `nexus db backup --target prod --verify`' },
    ]);
    const unverified = backup('20261202T100000Z-pre-migration-20261202T100000Z-1.5.0', 2, false);
    expect(statusProblems({ ...healthy(), backups: { ...healthy().backups, newest: unverified, newestVerified: stale } })).toEqual([
      {
        check: 'backup',
        what: 'the newest backup, 20261202T100000Z-pre-migration-20261202T100000Z-1.5.0 (2 h old), has not been verified, and no verified one is under 26 h old',
        fix: 'verify it: `nexus db backup verify 20261202T100000Z-pre-migration-20261202T100000Z-1.5.0 --target prod`',
      },
    ]);
    // A deploy's unverified pre-migration backup after this morning's verified one: still covered.
    expect(statusProblems({ ...healthy(), backups: { ...healthy().backups, newest: unverified } })).toEqual([]);
    // The daily job verifies every backup it makes: one without a record was verified by a job whose gate predates the record.
    const scheduled = backup('20261202T031500Z-scheduled', 8.8, false);
    expect(statusProblems({ ...healthy(), backups: { ...healthy().backups, newest: scheduled, newestVerified: null } })[0]?.fix).toBe(
      'reinstall the daily job so that it may record its verifications: `nexus db backup --schedule --target prod`; meanwhile `nexus db backup verify 20261202T031500Z-scheduled --target prod`',
    );
    const none = { ...healthy(), backups: { ...healthy().backups, count: 0, newest: null, newestVerified: null }, backupJob: job('db-backup', { installed: false, schedule: null, lastRun: null }) };
    expect(statusProblems(none)).toEqual([
      { check: 'backup', what: 'no backup of the database in /srv/shop/backups on 203.0.113.10', fix: 'back up now: `nexus db backup --target prod --verify`; `nexus db backup --schedule --target prod` makes one every day' },
    ]);
  });

  it('When a host is unreachable, has nothing deployed or is not ready, then each is named with its fix, and what lives on an unreachable first host adds no second problem', () => {
    const facts = healthy();
    facts.hosts = [
      host('203.0.113.10', { reachable: false, serving: null, ready: false, error: 'Could not reach deploy@203.0.113.10:22: connect ECONNREFUSED', hint: 'check the address, the port and the firewall' }),
      host('203.0.113.11', { ready: false, readiness: 'HTTP 503: {"status":"not_ready","checks":{"database":"unhealthy"}}' }),
      host('203.0.113.12', { serving: null, ready: false }),
    ];
    for (const section of ['renewalJob', 'backups', 'backupJob', 'lock', 'certificate'] as const) facts[section] = { ...facts[section], error: 'Could not reach deploy@203.0.113.10:22' } as never;
    expect(statusProblems(facts)).toEqual([
      { check: 'host', what: 'Could not reach deploy@203.0.113.10:22: connect ECONNREFUSED', fix: 'check the address, the port and the firewall' },
      {
        check: 'host',
        what: '203.0.113.11: release 20261201T100000Z-1.4.0 (green, port 8001) is not ready: HTTP 503: {"status":"not_ready","checks":{"database":"unhealthy"}}',
        fix: 'see why in `nexus logs app --target prod --host 203.0.113.11`; `nexus deploy rollback --target prod` serves the previous release',
      },
      { check: 'host', what: 'no release serves on 203.0.113.12 (nothing deployed)', fix: 'deploy: `nexus deploy --target prod`' },
    ]);
  });

  it("When the load balancer's host (which holds the certificate) cannot be read, then that is a problem of its own", () => {
    const facts = { ...healthy(), certificate: { host: '203.0.113.5', domain: 'shop.example.com', found: false, error: 'Could not reach deploy@203.0.113.5:22: timed out' } };
    expect(statusProblems(facts)).toEqual([
      { check: 'certificate', what: 'the certificate could not be read on 203.0.113.5: Could not reach deploy@203.0.113.5:22: timed out', fix: 'check that 203.0.113.5 is up and answers SSH (`ssh` to it from here), then `nexus status --target prod` again' },
    ]);
  });

  it('When a scheduled job last failed, then its log is where to look', () => {
    const facts = { ...healthy(), renewalJob: job('ssl-renew', { lastRun: { at: '2026-12-02T04:00:00Z', exit: 1, image: 'shop:1.4.0' } }) };
    expect(statusProblems(facts)).toEqual([
      { check: 'renewal-job', what: "the certificate renewal job's last run (2026-12-02T04:00:00Z) failed with exit 1", fix: 'read /srv/shop/jobs/ssl-renew/job.log on 203.0.113.10; renew by hand meanwhile: `nexus ssl renew --target prod`' },
    ]);
    expect(checks({ ...healthy(), backupJob: job('db-backup', { lastRun: { at: '2026-12-02T03:15:00Z', exit: 3, image: '' } }) })).toEqual(['backup-job']);
  });

  it(`When the deploy lock is held for more than ${LOCK_MAX_MINUTES} min and has not expired, then releasing it is the fix; an expired one is taken over by the next deploy`, () => {
    const lock = { host: '203.0.113.10', held: true, owner: 'alice@laptop', reason: 'nexus deploy', heldMinutes: 95, expired: false, expiresAt: '2026-12-02T14:00:00.000Z' };
    expect(statusProblems({ ...healthy(), lock })).toEqual([
      { check: 'lock', what: 'the deploy lock has been held for 95 min by alice@laptop ("nexus deploy"), until 2026-12-02T14:00:00.000Z: deploys and renewals wait', fix: 'if that run is over or gone: `nexus lock release --target prod`' },
    ]);
    expect(statusProblems({ ...healthy(), lock: { ...lock, expired: true } })).toEqual([]);
  });
});
