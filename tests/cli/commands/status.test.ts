import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Metrics } from '../../../api/infra/metrics';
import { verificationFile } from '../../../cli/services/backup-catalog';
import { backupId, type BackupManifest } from '../../../cli/services/backup-manifest';
import type { TargetStatus } from '../../../cli/commands/status';
import { expectExit, runNexus } from '../../support/cli';
import { describeWith, freePort } from '../../support/components';
import { dockerAvailable, importNodeBaseImage, startDockerd, type RunningDockerd } from '../../support/docker';
import { selfSignedCertificate } from '../../support/nginx';
import { sshdAvailable, sshdTarget, startSshd, type RunningSshd } from '../../support/sshd';

const IMAGE = 'nexus-status-node:test';
const TOKEN = 'metrics-token-that-stays-in-the-container';
const RELEASE = '20261201T100000Z-1.4.0';

/**
 * The API as the host's container runs it, cut down to what status asks: readiness, and /metrics behind the
 * bearer token (the exposition text is the API's own registry's, given by the test; the process started 1000 s ago).
 */
const FAKE_API = `const start = Date.now() / 1000 - 1000;
require('http').createServer((req, res) => {
  if (req.url === '/health/readiness/') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ready"}');
  if (req.url !== '/metrics') return res.writeHead(404).end();
  if (req.headers.authorization !== 'Bearer ' + process.env.METRICS_TOKEN) return res.writeHead(401).end('A bearer token is required.');
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(process.env.METRICS_TEXT + 'process_start_time_seconds ' + start + '\\n');
}).listen(Number(process.env.PORT), '127.0.0.1');`;

/** 2000 requests, 20 of them 5xx; 1960 take 3 ms, 40 take 30 ms: the 1980th is half-way into the 25–50 ms bucket. */
async function apiMetricsText(): Promise<string> {
  const metrics = new Metrics();
  metrics.httpRequests.inc({ method: 'GET', route: '/api/v1/products/', status_class: '2xx' }, 1980);
  metrics.httpRequests.inc({ method: 'POST', route: '/api/v1/orders/', status_class: '5xx' }, 20);
  for (let index = 0; index < 1960; index += 1) metrics.httpDuration.observe({ method: 'GET', route: '/api/v1/products/' }, 0.003);
  for (let index = 0; index < 40; index += 1) metrics.httpDuration.observe({ method: 'POST', route: '/api/v1/orders/' }, 0.03);
  return metrics.registry.metrics();
}

type Failure = { error: { code: string; exitCode: number; suggestions: string[]; details: TargetStatus } };

/**
 * One app host: the test sshd (its files under the test's root, as a deploy leaves them) with its app in a real
 * container of a private Docker engine, on the host's network as the colour's loopback port publishes it.
 */
describeWith('sshd and Docker', sshdAvailable && dockerAvailable, 'nexus status (a host over real SSH, its app in a real container)', () => {
  let sshd: RunningSshd;
  let dockerd: RunningDockerd;
  let project: string;
  let root: string;
  let container: string;

  const write = (path: string, text: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };
  const certificate = (days: number) => {
    mkdirSync(join(root, 'certs', 'shop.example.com'), { recursive: true });
    selfSignedCertificate(join(root, 'certs', 'shop.example.com'), ['shop.example.com'], days);
  };
  /** A backup as `nexus db backup` leaves it: its manifest, and a verification record when it was verified. */
  const backup = (hoursAgo: number, verified: boolean, kind: 'scheduled' | 'manual' = 'scheduled') => {
    rmSync(join(root, 'backups'), { recursive: true, force: true });
    const createdAt = new Date(Date.now() - hoursAgo * 3_600_000);
    const id = backupId(createdAt, kind);
    const manifest: BackupManifest = { format: 'nexus-backup/1', id, kind, createdAt: createdAt.toISOString(), database: 'nexus', serverVersion: '16.4', release: RELEASE, migration: { latest: '20261101000000_init.ts', count: 1 }, tables: {}, dump: { file: `${id}.dump`, bytes: 1024, sha256: '0'.repeat(64) } };
    write(join(root, 'backups', `${id}.json`), JSON.stringify(manifest));
    if (verified) write(verificationFile(join(root, 'backups'), id), JSON.stringify({ id, verifiedAt: new Date().toISOString(), signature: 'valid', tables: 0, rows: 0 }));
    return id;
  };
  const status = (json = true) => runNexus(['status', '--target', 'production', '--dir', project, ...(json ? ['--json'] : [])]);
  const config = (overlay: object = {}) =>
    writeFileSync(join(project, 'nexus.yml'), stringify({ app: { name: 'shop', secrets: ['JWT_SECRET', 'METRICS_TOKEN'] }, targets: { production: sshdTarget(sshd, { root, docker_host: dockerd.host, ...overlay }) } }));

  beforeAll(async () => {
    [sshd, dockerd] = await Promise.all([startSshd(), startDockerd()]);
    importNodeBaseImage(dockerd, IMAGE);
    root = join(sshd.remoteRoot, 'srv');
    project = mkdtempSync(join(tmpdir(), 'nexus-status-project-'));
    config();
    const port = await freePort();
    const labels = ['--label', 'com.docker.compose.project=shop-blue', '--label', 'com.docker.compose.service=app'];
    const env = ['-e', `PORT=${port}`, '-e', `METRICS_TOKEN=${TOKEN}`, '-e', `METRICS_TEXT=${await apiMetricsText()}`];
    container = dockerd.docker(['run', '-d', '--network', 'host', ...labels, ...env, IMAGE, 'node', '-e', FAKE_API]).trim();
    write(join(root, 'serving.json'), JSON.stringify({ release: RELEASE, colour: 'blue', port, since: '2026-12-01T10:02:00Z' }));
    certificate(90);
    backup(3, true);
    for (const job of ['ssl-renew', 'db-backup']) {
      write(join(root, 'jobs', job, 'run.sh'), '#!/bin/sh\n');
      write(join(root, 'jobs', job, 'last-run.json'), JSON.stringify({ at: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'), exit: 0, image: `shop:${RELEASE}` }));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([sshd?.stop(), dockerd?.stop()]);
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('When everything is in order, then it exits 0 with the host serving and ready, its headline metrics, the certificate, backup, jobs and lock; the token never leaves the container', async () => {
    const result = await status();
    expectExit(result, 0);
    const report = result.json<TargetStatus>();
    expect(report).toMatchObject({ target: 'production', ok: true, problems: [], metricsConfigured: true, lock: { held: false }, renewalJob: { installed: true, lastRun: { exit: 0 } }, backupJob: { installed: true } });
    expect(report.hosts).toEqual([
      {
        address: '127.0.0.1',
        reachable: true,
        serving: expect.objectContaining({ release: RELEASE, colour: 'blue' }),
        ready: true,
        readiness: 'ready',
        metrics: { requests: 2000, requestsPerSecond: expect.any(Number), serverErrorRatio: 0.01, p99Seconds: 0.0375, since: expect.any(String) },
      },
    ]);
    // 2000 requests over the process's 1000 s and the few since.
    expect(report.hosts[0]?.metrics?.requestsPerSecond).toBeGreaterThan(1.9);
    expect(report.hosts[0]?.metrics?.requestsPerSecond).toBeLessThanOrEqual(2);
    expect(report.certificate).toMatchObject({ host: '127.0.0.1', domain: 'shop.example.com', found: true, daysLeft: 89 });
    expect(report.backups).toMatchObject({ count: 1, newest: { kind: 'scheduled', ageHours: 3, verified: true } });
    expect(result.stdout).not.toContain(TOKEN);

    const text = await status(false);
    expectExit(text, 0);
    expect(text.stdout).toMatch(/^ {2}HOST +SSH +SERVING +READINESS +REQ\/S +5XX +P99\n {2}127\.0\.0\.1 +ok +20261201T100000Z-1\.4\.0 \(blue\) +ready +\d\.\d+ +1\.00% +37\.5 ms$/m);
    expect(text.stdout).toContain('Nothing needs attention.');
  });

  it('When the certificate expires in under 14 days, then it exits 11 with a line saying to renew it', async () => {
    certificate(5);
    try {
      const result = await status();
      expectExit(result, 11);
      const { error } = result.json<Failure>();
      expect(error).toMatchObject({ code: 'NEEDS_ATTENTION', exitCode: 11, details: { ok: false, certificate: { daysLeft: 4 } } });
      expect(error.details.problems.map((problem) => problem.check)).toEqual(['certificate']);
      const text = await status(false);
      expect(text.stderr).toMatch(/^ {2}→ the certificate of shop\.example\.com expires in 4 days \(.+; under 14\): renew it: `nexus ssl renew --target production`$/m);
    } finally {
      certificate(90);
    }
  });

  it('When the newest backup is 30 h old, or recent but never verified, then it exits 11 with a line saying to back up or to verify', async () => {
    try {
      backup(30, true);
      const stale = await status(false);
      expectExit(stale, 11);
      expect(stale.stderr).toMatch(/^ {2}→ the newest backup, \d{8}T\d{6}Z-scheduled, is 30 h old \(more than 26 h\): back up now: `nexus db backup --target production --verify`$/m);
      const id = backup(2, false, 'manual');
      const unverified = await status();
      expectExit(unverified, 11);
      expect(unverified.json<Failure>().error.suggestions).toEqual([`the newest backup, ${id} (2 h old), has not been verified, and no verified one is under 26 h old: verify it: \`nexus db backup verify ${id} --target production\``]);
    } finally {
      backup(3, true);
    }
  });

  it('When the app container is stopped and a second host does not answer SSH, then both are reported, with what to do, and exit 11', async () => {
    dockerd.docker(['stop', '-t', '1', container]);
    // Two hosts need what several hosts share (scaling.md): the second one, 127.0.0.9, has no sshd.
    config({ hosts: [{ address: '127.0.0.1', host_key: sshd.hostKey }, { address: '127.0.0.9', host_key: sshd.hostKey }], database: 'external', redis: 'external', env: { MEDIA_STORAGE: 's3', MEDIA_S3_BUCKET: 'shop-media' } });
    try {
      const result = await status();
      expectExit(result, 11);
      const { details, suggestions } = result.json<Failure>().error;
      expect(details.hosts.map((host) => [host.address, host.reachable, host.ready])).toEqual([
        ['127.0.0.1', true, false],
        ['127.0.0.9', false, false],
      ]);
      expect(details.hosts[0]).toMatchObject({ serving: { release: RELEASE }, metrics: null, metricsError: 'no running app container in compose project shop-blue' });
      expect(suggestions).toEqual([
        expect.stringMatching(/^127\.0\.0\.1: release 20261201T100000Z-1\.4\.0 \(blue, port \d+\) is not ready: .+: see why in `nexus logs app --target production --host 127\.0\.0\.1`; `nexus deploy rollback --target production` serves the previous release$/),
        expect.stringMatching(/^Could not reach .*127\.0\.0\.9.*: check the address, the port and the firewall/),
      ]);
      const text = await status(false);
      expect(text.stdout).toMatch(/^ {2}127\.0\.0\.9 +UNREACHABLE +- +- +-$/m);
    } finally {
      config();
      dockerd.docker(['start', container]);
    }
  });
});
