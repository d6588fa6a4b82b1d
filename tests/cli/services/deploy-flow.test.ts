import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadDeployTarget, type DeployTarget } from '../../../cli/deploy-config/load';
import { RecordingExecutor } from '../../../cli/exec/recording-executor';
import type { BackupManifest } from '../../../cli/services/backup-manifest';
import { BackupKeyRing } from '../../../cli/services/backup-signing';
import type { BackupTrust } from '../../../cli/services/backup-trust';
import { Secret } from '../../../cli/deploy-config/secrets';
import { rotationOf } from '../../../cli/remote/lb-site';
import { DeployFlow, type HostOutcome } from '../../../cli/services/deploy-flow';
import type { ServingState } from '../../../cli/services/host-deployer';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';
const IMAGE = 'registry.example.com/shop:1.4.0';
const KEYS = new BackupKeyRing(new Secret('k'.repeat(64)));

function target(hosts: string[], database: 'external' | 'host' = 'external'): DeployTarget {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-flow-'));
  writeFileSync(
    join(dir, 'nexus.yml'),
    stringify({
      app: { name: 'shop', port: 8000, env: { MEDIA_STORAGE: 's3', MEDIA_S3_BUCKET: 'shop-media' } },
      targets: {
        production: { hosts: hosts.map((address) => ({ address, host_key: PIN })), domains: ['shop.example.com'], database, redis: 'external', root: '/srv/shop', drain_seconds: 3 },
      },
    }),
  );
  return loadDeployTarget(dir, 'production', { JWT_SECRET: 'j'.repeat(40), DATABASE_URL: 'postgres://u:p@db/shop', POSTGRES_PASSWORD: 'p'.repeat(24), REDIS_URL: 'redis://cache:6379/0', MEDIA_S3_ACCESS_KEY_ID: 'media-key', MEDIA_S3_SECRET_ACCESS_KEY: 'media-secret', HOME: '/home/ops' });
}

/** A host as the flow sees it through a recording executor: answers for the few commands whose output matters. */
function host(
  name: string,
  options: { serving?: ServingState; ready?: boolean; workerHealthy?: boolean; pending?: string[]; releases?: string; backups?: BackupManifest[]; files?: string[]; written?: Map<string, string> } = {},
): RecordingExecutor {
  let holder = '';
  return new RecordingExecutor(name, (command, stdin) => {
    const written = / nexus-write (\S+) \d{3}$/.exec(command)?.[1];
    if (written && stdin !== undefined) options.written?.set(written, stdin);
    const id = /nexus-lock-acquire \S+ '"(\w+)"'/.exec(command);
    if (id) holder = id[1] as string;
    if (command.includes('nexus-lock-status')) return { stdout: JSON.stringify({ id: holder, owner: 'ci', reason: 'deploy', acquired_at: 1, expires_at: 2 }) };
    if (command.includes('nexus-host-check')) return { stdout: 'compose v2\n' };
    if (command.includes('nexus-read') && command.includes('serving.json')) return options.serving ? { stdout: JSON.stringify(options.serving) } : { code: 3 };
    if (command.includes("'db' status") || command.includes(' db status')) return { stdout: JSON.stringify({ applied: ['a'], pending: options.pending ?? [] }) };
    if (command.includes('nexus-wait-ready')) return options.ready === false ? { code: 1, stdout: 'HTTP 503: {"status":"not_ready","checks":{"cache":"unhealthy"}}' } : { stdout: '{"status":"ready"}' };
    if (command.includes('nexus-wait-healthy') && command.endsWith(' worker') && options.workerHealthy === false) {
      return { code: 1, stderr: '/shop-green-worker-1 unhealthy\n/shop-green-worker-1: health check (exit 1): last heartbeat 41 s ago\n' };
    }
    if (command.includes('nexus-files-exist')) return { code: options.files?.some((file) => command.endsWith(` ${file}`)) ? 0 : 1 };
    if (command.includes('nexus-releases')) return { stdout: options.releases ?? '' };
    if (command.endsWith(' nexus-backup-list /srv/shop/backups')) return { stdout: (options.backups ?? []).map((manifest) => JSON.stringify(manifest)).join('\n') };
    const manifest = options.backups?.find((candidate) => command.includes(`/srv/shop/backups/${candidate.id}.`));
    if (manifest && command.includes(' nexus-read ')) return { stdout: JSON.stringify(manifest) };
    if (manifest && command.includes(' nexus-backup-checksum ')) return { stdout: `dump\t${manifest.dump.bytes}\t${manifest.dump.sha256}\n` };
    if (manifest && command.includes(' nexus-restore ')) return { stdout: `table\tpublic.users\t1\tab\nmigration\t${manifest.migration.latest}\t${manifest.migration.count}\n` };
    if (command.endsWith(' nexus-backup /srv/shop/backups/' + (/backups\/(\S+)$/.exec(command)?.[1] ?? ''))) return { stdout: 'table\tpublic.users\t1\tab\nmigration\ta\t1\nserver\t15.20\ndump\t2048\tfeed\n' };
    if (command.includes('nexus-compose') && command.includes(' logs ') && command.endsWith(' worker')) return { stdout: 'worker-1  | {"level":50,"msg":"relaying the outbox failed"}\n' };
    if (command.includes('nexus-compose') && command.includes(' logs ')) return { stdout: 'app  | Error: connect ECONNREFUSED cache:6379\n' };
    return {};
  });
}

/** Each recorded command by the name its script carries (or its first words). */
function steps(exec: RecordingExecutor): string[] {
  return exec.commands.map((command) => {
    const named = command.match(/ (nexus-[a-z-]+)(?= |$)/g);
    const name = named?.pop()?.trim() ?? command.split(' ').slice(0, 3).join(' ');
    if (name === 'nexus-compose') return `compose ${/nexus-compose \S+ (\S+) \S+ \S+ (.*)$/.exec(command)?.slice(1).join(' ') ?? ''}`;
    if (name === 'nexus-stop-project') return `stop ${/nexus-stop-project (\S+)/.exec(command)?.[1] ?? ''}`;
    if (name === 'nexus-wait-ready') return `wait ${/http:\/\/\S+/.exec(command)?.[0] ?? ''}`;
    if (name === 'nexus-wait-healthy') return `healthy ${/nexus-wait-healthy (\S+) \S+ ?(\S*)$/.exec(command)?.slice(1).join(' ') ?? ''}`;
    return name;
  });
}

function flow(deploy: DeployTarget, executors: Record<string, RecordingExecutor>, backupTrust: BackupTrust = { keys: KEYS, allowUnsigned: false, warn: () => undefined }) {
  const connected: string[] = [];
  const deployFlow = new DeployFlow({
    backupTrust,
    deploy,
    connect: (config) => {
      connected.push(config.address);
      return Promise.resolve(executors[config.address] as RecordingExecutor);
    },
    progress: 'plain',
    note: () => undefined,
  });
  return { deployFlow, connected };
}

/** A line of the host's release listing. */
function release(id: string, served = true): string {
  return `release ${id} ${JSON.stringify({ id, version: id, image: `shop:${id}`, created_at: '', created_by: 'ci', ...(served ? { served_at: '2026-11-01T00:01:00Z' } : {}) })}`;
}

/** The manifest of the backup a deploy took before `before`'s migrations, signed. */
function preMigration(before: string, latest: string): BackupManifest {
  return KEYS.sign({
    format: 'nexus-backup/1',
    id: `${before.slice(0, 16)}-pre-migration-${before}`,
    kind: 'pre-migration',
    createdAt: '2026-11-02T00:00:00.000Z',
    database: 'shop',
    serverVersion: '15',
    release: null,
    before,
    migration: { latest, count: 1 },
    tables: { 'public.users': { rows: 1, checksum: 'ab' } },
    dump: { file: `${before.slice(0, 16)}-pre-migration-${before}.dump`, bytes: 10, sha256: 'cafe' },
  });
}

describe('DeployFlow (remote commands recorded, no SSH)', () => {
  beforeAll(() => jest.spyOn(process.stderr, 'write').mockImplementation(() => true));
  afterAll(() => jest.restoreAllMocks());

  it('When a release replaces the blue one, then green starts, becomes ready, nginx switches, and only then blue drains and stops', async () => {
    const exec = host('web-1', { serving: { release: '20261101T000000Z-old', colour: 'blue', port: 8000, since: '' } });
    const { deployFlow } = flow(target(['web-1']), { 'web-1': exec });
    const report = await deployFlow.deploy({ image: IMAGE, skipBackup: false });
    expect(report.hosts).toEqual([{ host: 'web-1', status: 'deployed', image: 'present', colour: 'green', port: 8001, previous: '20261101T000000Z-old', migrations: [], pruned: [], prunedBackups: [] }]);
    expect(steps(exec)).toEqual([
      'nexus-lock-acquire',
      'nexus-lock-status',
      'nexus-read',
      'nexus-host-check',
      // The external database, from the host, then from a container (no image there yet: once the image is).
      'nexus-tcp-check',
      'nexus-read',
      'nexus-releases',
      'nexus-first-image',
      'nexus-write',
      // The certificate's files: PUBLIC_URL in the env file is https once nginx serves it.
      'nexus-files-exist',
      'nexus-write',
      'nexus-write',
      'docker image inspect',
      'nexus-container-tcp-check',
      'nexus-shared-resources',
      'nexus-read',
      'nexus-write',
      'compose shop-green run --rm --no-deps -T app node bin/run.js db status --json',
      'nexus-write',
      'stop shop-green',
      'compose shop-green up -d --no-deps',
      'wait http://127.0.0.1:8001/health/readiness/',
      'healthy shop-green worker',
      'nexus-files-exist',
      'nexus-nginx-switch',
      'nexus-write',
      'nexus-switch',
      'nexus-write',
      'sleep 3',
      'stop shop-blue',
      'nexus-releases',
      'nexus-releases',
      'nexus-lock-status',
      'nexus-lock-release',
    ]);
    const env = exec.commands.find((command) => command.includes('/.env'));
    expect(env).toMatch(/ nexus-write \/srv\/shop\/releases\/\d{8}T\d{6}Z-1\.4\.0\/\.env 600$/);
    expect(exec.commands.join('\n')).not.toContain('postgres://u:p@db/shop');
  });

  it('When migrations are pending, then the database is dumped before they run, with its URL on stdin only', async () => {
    const exec = host('web-1', { pending: ['20261201000000_add-coupons'] });
    const { deployFlow } = flow(target(['web-1']), { 'web-1': exec });
    const report = await deployFlow.deploy({ image: IMAGE, skipBackup: false });
    expect(report.hosts[0]?.migrations).toEqual(['20261201000000_add-coupons']);
    const names = steps(exec);
    const backup = names.indexOf('nexus-backup');
    expect(backup).toBeGreaterThan(names.findIndex((name) => name.includes('db status')));
    // The manifest is written beside the dump, then the migrations run.
    expect(names.slice(backup + 1, backup + 3)).toEqual(['nexus-write', 'compose shop-blue run --rm --no-deps -T app node bin/run.js db migrate']);
    expect(exec.commands.join('\n')).not.toContain('postgres://u:p@db/shop');
    expect(report.hosts[0]?.backup).toEqual({ id: expect.stringMatching(/^\d{8}T\d{6}Z-pre-migration-\d{8}T\d{6}Z-1\.4\.0$/), file: expect.stringMatching(/^\/srv\/shop\/backups\/\d{8}T\d{6}Z-pre-migration-\d{8}T\d{6}Z-1\.4\.0\.dump$/), bytes: 2048 });
  });

  it('When two hosts share the database, then migrations are checked and run once, on the first host, and both hosts serve the release', async () => {
    const executors = { 'web-1': host('web-1', { pending: ['20261201000000_add-coupons'] }), 'web-2': host('web-2', { pending: ['20261201000000_add-coupons'] }) };
    const { deployFlow } = flow(target(['web-1', 'web-2']), executors);
    const report = await deployFlow.deploy({ image: IMAGE, skipBackup: false });
    expect(report.hosts.map((outcome) => [outcome.host, outcome.status, outcome.migrations])).toEqual([
      ['web-1', 'deployed', ['20261201000000_add-coupons']],
      ['web-2', 'deployed', undefined],
    ]);
    expect(steps(executors['web-1']).filter((name) => name.includes('db migrate') || name === 'nexus-backup')).toHaveLength(2);
    expect(steps(executors['web-2']).some((name) => name.includes('db migrate') || name.includes('db status') || name === 'nexus-backup')).toBe(false);
    expect(steps(executors['web-2'])).toContain('nexus-nginx-switch');
  });

  it('When the worker runs on the first host only, then the second host starts its release without one', async () => {
    const executors = { 'web-1': host('web-1'), 'web-2': host('web-2') };
    const deploy = target(['web-1', 'web-2']);
    const { deployFlow } = flow({ ...deploy, target: { ...deploy.target, worker: { replicas: 2, hosts: 'first' } } }, executors);
    await deployFlow.deploy({ image: IMAGE, skipBackup: false });
    const up = (exec: RecordingExecutor) => steps(exec).find((name) => name.startsWith('compose shop-blue up'));
    expect([up(executors['web-1']), up(executors['web-2'])]).toEqual(['compose shop-blue up -d --no-deps --scale worker=2', 'compose shop-blue up -d --no-deps --scale worker=0']);
  });

  describe('behind the nginx load balancer', () => {
    /** The balancer's host: the site it was last given is what it reads back; `unready` hosts fail its readiness check. */
    function balancerHost(unready: string[] = [], certificate = false) {
      const sites: string[] = [];
      const exec = new RecordingExecutor('lb', (command, stdin) => {
        if (command.includes('nexus-files-exist')) return { code: certificate && command.includes('/srv/shop/certs/shop.example.com/fullchain.pem') ? 0 : 1 };
        if (command.includes('nexus-nginx-switch') && stdin) sites.push(stdin);
        if (command.includes('nexus-read') && command.endsWith('/srv/shop/nginx/site.conf')) return sites.length > 0 ? { stdout: sites.at(-1) } : { code: 3 };
        const asked = /nexus-wait-ready http:\/\/([\w.-]+):80\//.exec(command)?.[1];
        if (asked && unready.includes(asked)) return { code: 1, stdout: 'HTTP 502: ' };
        return {};
      });
      return { exec, rotations: () => sites.map((site) => [...rotationOf(site)].map(([address, state]) => `${address} ${state}`).join(', ')) };
    }
    const withBalancer = (deploy: DeployTarget): DeployTarget => ({ ...deploy, target: { ...deploy.target, load_balancer: { type: 'nginx', host: { address: 'lb', host_key: PIN }, max_fails: 2, fail_timeout: 10 } } });

    it('When two hosts are deployed, then each leaves the upstream before its release changes and comes back once the balancer sees it ready, one at a time', async () => {
      const lb = balancerHost();
      const executors = { 'web-1': host('web-1'), 'web-2': host('web-2'), lb: lb.exec };
      const { deployFlow } = flow(withBalancer(target(['web-1', 'web-2'])), executors);
      const report = await deployFlow.deploy({ image: IMAGE, skipBackup: false });
      expect(report.hosts.map((outcome) => [outcome.host, outcome.status, outcome.rotation])).toEqual([
        ['web-1', 'deployed', 'in'],
        ['web-2', 'deployed', 'in'],
      ]);
      // Never deployed, both start out; each comes in after its own release serves.
      expect(lb.rotations()).toEqual(['web-1 out, web-2 out', 'web-1 in, web-2 out', 'web-1 in, web-2 out', 'web-1 in, web-2 in']);
      const web1 = steps(executors['web-1']);
      expect(web1.indexOf('nexus-nginx-switch')).toBeGreaterThan(web1.indexOf('wait http://127.0.0.1:8000/health/readiness/'));
      expect(steps(lb.exec).filter((name) => name.startsWith('wait '))).toEqual(['wait http://web-1:80/health/readiness/', 'wait http://web-2:80/health/readiness/']);
    });

    it("When the balancer holds the site's certificate, then the releases' PUBLIC_URL is https though the app hosts have none", async () => {
      const written = new Map<string, string>();
      const executors = { 'web-1': host('web-1', { written }), lb: balancerHost([], true).exec };
      const { deployFlow } = flow(withBalancer(target(['web-1'])), executors);
      const report = await deployFlow.deploy({ image: IMAGE, skipBackup: false });
      const env = [...written].find(([path]) => path.endsWith(`${report.release.id}/.env`))?.[1];
      expect(env).toContain("PUBLIC_URL='https://shop.example.com'");
      expect(env).toContain("TRUST_PROXY='2'");
    });

    it('When the second host fails its readiness, then it goes back in serving its previous release, the first keeps the new one, and the error says so', async () => {
      const lb = balancerHost();
      const previous = { release: '20261101T000000Z-old', colour: 'blue' as const, port: 8000, since: '' };
      const executors = { 'web-1': host('web-1', { serving: previous }), 'web-2': host('web-2', { serving: previous, ready: false }), lb: lb.exec };
      const { deployFlow } = flow(withBalancer(target(['web-1', 'web-2'])), executors);
      const error = (await deployFlow.deploy({ image: IMAGE, skipBackup: false }).catch((caught: unknown) => caught)) as { message: string; details: { hosts: HostOutcome[] } };
      expect(error.message).toContain('web-2 is back in the load balancer, serving its previous release.');
      expect(error.details.hosts.map((outcome) => [outcome.host, outcome.status, outcome.rotation])).toEqual([
        ['web-1', 'deployed', 'in'],
        ['web-2', 'failed', 'in'],
      ]);
      expect(lb.rotations().at(-1)).toBe('web-1 in, web-2 in');
    });

    it('When a host is not ready as the balancer sees it, then it stays out, the roll stops there, and the error says so', async () => {
      const lb = balancerHost(['web-1']);
      const executors = { 'web-1': host('web-1'), 'web-2': host('web-2'), lb: lb.exec };
      const { deployFlow } = flow(withBalancer(target(['web-1', 'web-2'])), executors);
      const error = (await deployFlow.deploy({ image: IMAGE, skipBackup: false }).catch((caught: unknown) => caught)) as { message: string; exitCode: number; details: { hosts: HostOutcome[] } };
      expect(error.exitCode).toBe(11);
      expect(error.message).toContain('web-1 is not ready as the load balancer lb sees it: HTTP 502');
      expect(error.message).toContain('web-1 stays out of the load balancer: it does not answer its readiness check.\nNot started on: web-2.');
      expect(error.details.hosts.map((outcome) => [outcome.host, outcome.status, outcome.rotation])).toEqual([
        ['web-1', 'failed', 'out'],
        ['web-2', 'not started', undefined],
      ]);
      expect(executors['web-2'].commands).toEqual([]);
    });
  });

  it('When migrations are pending and BACKUP_SIGNING_KEY is not set, then the deploy stops before dumping or migrating, naming how to create the key', async () => {
    const exec = host('web-1', { serving: { release: '20261101T000000Z-old', colour: 'blue', port: 8000, since: '' }, pending: ['20261201000000_add-coupons'] });
    const { deployFlow } = flow(target(['web-1']), { 'web-1': exec }, { keys: new BackupKeyRing(), allowUnsigned: false, warn: () => undefined });
    const error = (await deployFlow.deploy({ image: IMAGE, skipBackup: false }).catch((caught: unknown) => caught)) as { code: string; exitCode: number; suggestions: string[] };
    expect(error).toMatchObject({ code: 'BACKUP_KEY_MISSING', exitCode: 3 });
    expect(error.suggestions.join(' ')).toContain('openssl rand -hex 32');
    const names = steps(exec);
    expect(names).not.toContain('nexus-backup');
    expect(names.some((name) => name.includes('db migrate'))).toBe(false);
    expect(names).not.toContain('nexus-nginx-switch');
  });

  it('When the new release never becomes ready, then it is stopped, nginx is never touched, the lock is released and the error carries its logs', async () => {
    const exec = host('web-1', { serving: { release: '20261101T000000Z-old', colour: 'blue', port: 8000, since: '' }, ready: false });
    const { deployFlow } = flow(target(['web-1']), { 'web-1': exec });
    const error = (await deployFlow.deploy({ image: IMAGE, skipBackup: false }).catch((caught: unknown) => caught)) as { code: string; exitCode: number; message: string };
    expect(error).toMatchObject({ code: 'HEALTH_CHECK_FAILED', exitCode: 11 });
    expect(error.message).toContain('"cache":"unhealthy"');
    expect(error.message).toContain('ECONNREFUSED cache:6379');
    const names = steps(exec);
    expect(names.slice(names.indexOf('wait http://127.0.0.1:8001/health/readiness/'))).toEqual([
      'wait http://127.0.0.1:8001/health/readiness/',
      'compose shop-green logs --no-color --tail 30 app',
      'stop shop-green',
      'nexus-lock-status',
      'nexus-lock-release',
    ]);
    expect(names).not.toContain('nexus-nginx-switch');
    expect(names).not.toContain('stop shop-blue');
  });

  it('When the new release\'s worker never becomes healthy, then the release is stopped like an unready one, nginx is never touched and the error carries the worker\'s state and logs', async () => {
    const exec = host('web-1', { serving: { release: '20261101T000000Z-old', colour: 'blue', port: 8000, since: '' }, workerHealthy: false });
    const { deployFlow } = flow(target(['web-1']), { 'web-1': exec });
    const error = (await deployFlow.deploy({ image: IMAGE, skipBackup: false }).catch((caught: unknown) => caught)) as { code: string; exitCode: number; message: string; suggestions: string[] };
    expect(error).toMatchObject({ code: 'HEALTH_CHECK_FAILED', exitCode: 11 });
    expect(error.message).toContain("web-1: the new release's worker did not become healthy; the previous release is still serving (20261101T000000Z-old).");
    expect(error.message).toContain('health check (exit 1): last heartbeat 41 s ago');
    expect(error.message).toContain('relaying the outbox failed');
    expect(error.suggestions[0]).toContain('`nexus logs worker --target production` shows 20261101T000000Z-old');
    const names = steps(exec);
    expect(names.slice(names.indexOf('healthy shop-green worker'))).toEqual(['healthy shop-green worker', 'compose shop-green logs --no-color --tail 30 worker', 'stop shop-green', 'nexus-lock-status', 'nexus-lock-release']);
    expect(names).not.toContain('nexus-nginx-switch');
    expect(names).not.toContain('stop shop-blue');
  });

  it('When the target asks for several workers, then the colour starts that many; with the certificate on the host, PUBLIC_URL is https', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-flow-'));
    writeFileSync(
      join(dir, 'nexus.yml'),
      stringify({
        app: { name: 'shop' },
        targets: { production: { hosts: [{ address: 'web-1', host_key: PIN }], domains: ['shop.example.com'], database: 'external', redis: 'external', root: '/srv/shop', worker: { replicas: 3 } } },
      }),
    );
    const deploy = loadDeployTarget(dir, 'production', { JWT_SECRET: 'j'.repeat(40), DATABASE_URL: 'postgres://u:p@db/shop', REDIS_URL: 'redis://cache:6379/0', MEDIA_S3_ACCESS_KEY_ID: 'media-key', MEDIA_S3_SECRET_ACCESS_KEY: 'media-secret', HOME: '/home/ops' });
    const exec = host('web-1', { files: ['/srv/shop/certs/shop.example.com/privkey.pem'] });
    const run = jest.spyOn(exec, 'run');
    await flow(deploy, { 'web-1': exec }).deployFlow.deploy({ image: IMAGE, skipBackup: false });
    expect(steps(exec)).toContain('compose shop-blue up -d --no-deps --scale worker=3');
    const env = (run.mock.calls as unknown as [readonly string[], { stdin?: string }?][]).find(([command]) => command.at(-2)?.endsWith('/.env'))?.[1]?.stdin;
    expect(env).toMatch(/^PUBLIC_URL='https:\/\/shop\.example\.com'$/m);
  });

  it('When a release fails its readiness, then the message says what serves now: the previous release, or nothing on a first deploy', async () => {
    type Failure = { message: string; suggestions: string[]; details: { cause: { previous: string | null } } };
    const fail = async (serving?: ServingState): Promise<Failure> => {
      const { deployFlow } = flow(target(['web-1']), { 'web-1': host('web-1', { serving, ready: false }) });
      return (await deployFlow.deploy({ image: IMAGE, skipBackup: false }).catch((caught: unknown) => caught)) as Failure;
    };
    const later = await fail({ release: '20261101T000000Z-old', colour: 'blue', port: 8000, since: '' });
    expect(later.message).toContain('web-1: the new release did not become ready; the previous release is still serving (20261101T000000Z-old).');
    expect(later.suggestions).toEqual([
      "the failed release's containers were removed: its last log lines are above; `nexus logs app --target production` shows 20261101T000000Z-old, which still serves",
      'fix the cause, then `nexus deploy --target production`',
    ]);
    expect(later.details.cause.previous).toBe('20261101T000000Z-old');

    const first = await fail();
    expect(first.message).toContain('web-1: the new release did not become ready; nothing is serving on this host: it was its first release.');
    expect(first.message).not.toContain('previous release');
    expect(first.suggestions).toEqual([
      "the failed release's containers were removed: its last log lines are above (`nexus logs app` has none to show); the site has no app until a deploy succeeds",
      'fix the cause, then `nexus deploy --target production`',
    ]);
    expect(first.details.cause.previous).toBeNull();
  });

  it('When the first of two hosts fails, then the roll stops there and the second host is never contacted', async () => {
    const executors = { 'web-1': host('web-1', { ready: false }), 'web-2': host('web-2') };
    const { deployFlow, connected } = flow(target(['web-1', 'web-2']), executors);
    const error = (await deployFlow.deploy({ image: IMAGE, skipBackup: false }).catch((caught: unknown) => caught)) as { message: string; details: { hosts: unknown } };
    expect(error.message).toContain('Not started on: web-2.');
    expect(error.details.hosts).toEqual([expect.objectContaining({ host: 'web-1', status: 'failed' }), { host: 'web-2', status: 'not started' }]);
    expect(connected).toEqual(['web-1', 'web-1']);
    expect(executors['web-2'].commands).toEqual([]);
  });

  it('When rolling back, then the newest earlier release that ever served is activated on the idle colour without migrations', async () => {
    const listing = [
      'current 20261103T000000Z-c',
      `release 20261101T000000Z-a ${JSON.stringify({ id: '20261101T000000Z-a', version: 'a', image: 'shop:a', created_at: '', created_by: 'ci', served_at: '2026-11-01T00:01:00Z' })}`,
      `release 20261102T000000Z-b ${JSON.stringify({ id: '20261102T000000Z-b', version: 'b', image: 'shop:b', created_at: '', created_by: 'ci', served_at: '2026-11-02T00:01:00Z' })}`,
      `release 20261102T120000Z-failed ${JSON.stringify({ id: '20261102T120000Z-failed', version: 'f', image: 'shop:f', created_at: '', created_by: 'ci' })}`,
      `release 20261103T000000Z-c ${JSON.stringify({ id: '20261103T000000Z-c', version: 'c', image: 'shop:c', created_at: '', created_by: 'ci', served_at: '2026-11-03T00:01:00Z' })}`,
    ].join('\n');
    const exec = host('web-1', { serving: { release: '20261103T000000Z-c', colour: 'green', port: 8001, since: '' }, releases: listing });
    const { deployFlow } = flow(target(['web-1']), { 'web-1': exec });
    const report = await deployFlow.rollback(undefined);
    expect(report.release.id).toBe('20261102T000000Z-b');
    expect(report.hosts[0]).toMatchObject({ status: 'deployed', colour: 'blue', port: 8000, previous: '20261103T000000Z-c' });
    const names = steps(exec);
    expect(names).toContain('compose shop-blue up -d --no-deps');
    expect(names.indexOf('healthy shop-blue worker')).toBeLessThan(names.indexOf('nexus-nginx-switch'));
    // Already served once: release.json is not rewritten.
    expect(exec.commands.some((command) => command.includes('20261102T000000Z-b/release.json'))).toBe(false);
    expect(names.some((name) => name.includes('db migrate') || name.includes('db status'))).toBe(false);
    expect(names.indexOf('stop shop-green')).toBeGreaterThan(names.indexOf('nexus-nginx-switch'));
  });

  it('When a deploy deletes releases beyond keep_releases, then their pre-migration backups go with them and the others stay', async () => {
    const ids = ['20261101T000000Z-a', '20261102T000000Z-b', '20261103T000000Z-c', '20261104T000000Z-d', '20261105T000000Z-e', '20261106T000000Z-f'];
    const listing = ['current 20261106T000000Z-f', ...ids.map((id) => release(id))].join('\n');
    const backups = [preMigration('20261101T000000Z-a', 'm1'), preMigration('20261103T000000Z-c', 'm2'), { ...preMigration('20261101T000000Z-a', 'm1'), id: '20261101T030000Z-scheduled', kind: 'scheduled' as const }];
    const exec = host('web-1', { serving: { release: '20261106T000000Z-f', colour: 'blue', port: 8000, since: '' }, releases: listing, backups });
    const { deployFlow } = flow(target(['web-1']), { 'web-1': exec });
    const report = await deployFlow.deploy({ image: IMAGE, skipBackup: false });
    expect(report.hosts[0]).toMatchObject({ pruned: ['20261101T000000Z-a'], prunedBackups: [backups[0]?.id] });
    expect(exec.commands.filter((command) => command.includes('nexus-backup-remove'))).toEqual([expect.stringMatching(new RegExp(` nexus-backup-remove /srv/shop/backups ${backups[0]?.id}$`))]);
  });

  it('When the database is on the host, then a deleted release takes its plain pre-migration dump along, if it has one', async () => {
    const ids = ['20261101T000000Z-a', '20261102T000000Z-b', '20261103T000000Z-c', '20261104T000000Z-d', '20261105T000000Z-e', '20261106T000000Z-f', '20261107T000000Z-g'];
    const listing = ['current 20261107T000000Z-g', ...ids.map((id) => release(id))].join('\n');
    const exec = host('web-1', { serving: { release: '20261107T000000Z-g', colour: 'blue', port: 8000, since: '' }, releases: listing, files: ['/srv/shop/backups/pre-migration-20261102T000000Z-b.dump'] });
    const { deployFlow } = flow(target(['web-1'], 'host'), { 'web-1': exec });
    const report = await deployFlow.deploy({ image: IMAGE, skipBackup: false });
    expect(report.hosts[0]).toMatchObject({ pruned: ['20261101T000000Z-a', '20261102T000000Z-b'], prunedBackups: ['pre-migration-20261102T000000Z-b'] });
    expect(exec.commands.filter((command) => command.includes('nexus-backup-remove'))).toEqual([expect.stringMatching(/ nexus-backup-remove \/srv\/shop\/backups pre-migration-20261102T000000Z-b$/)]);
  });

  it('When rolling back with data, then the backup taken before the first later migration is restored and checked first, and switched in only once the release serves', async () => {
    // f failed its readiness check after migrating: it never served, but its migrations ran.
    const listing = ['current 20261103T000000Z-c', release('20261101T000000Z-a'), release('20261102T000000Z-b'), release('20261102T120000Z-f', false), release('20261103T000000Z-c')].join('\n');
    const backups = [preMigration('20261102T000000Z-b', 'm1'), preMigration('20261102T120000Z-f', 'm2'), preMigration('20261103T000000Z-c', 'm3')];
    const exec = host('web-1', { serving: { release: '20261103T000000Z-c', colour: 'green', port: 8001, since: '' }, releases: listing, backups });
    const { deployFlow } = flow(target(['web-1']), { 'web-1': exec });
    const report = await deployFlow.rollback(undefined, { withData: true });
    expect(report.release.id).toBe('20261102T000000Z-b');
    // The data as b left it: the backup taken before f (the first release after b) migrated.
    expect(report.data).toMatchObject({ id: backups[1]?.id, migration: 'm2', database: 'shop', previous: expect.stringMatching(/^shop_before_restore_/) });
    const names = steps(exec);
    expect(names.indexOf('nexus-restore')).toBeLessThan(names.indexOf('compose shop-blue up -d --no-deps'));
    expect(names.indexOf('nexus-switch-database')).toBeGreaterThan(names.indexOf('stop shop-green'));
    expect(exec.commands.join('\n')).not.toContain('postgres://u:p@db/shop');
  });

  it('When rolling back with data fails to activate the release, then the restored copy is dropped and the database is never switched', async () => {
    const listing = ['current 20261103T000000Z-c', `release 20261102T000000Z-b ${JSON.stringify({ id: '20261102T000000Z-b', version: 'b', image: 'shop:b', created_at: '', created_by: 'ci', served_at: 'x' })}`].join('\n');
    const manifest: BackupManifest = KEYS.sign({
      format: 'nexus-backup/1', id: '20261103T000000Z-pre-migration-20261103T000000Z-c', kind: 'pre-migration', createdAt: '2026-11-03T00:00:00.000Z', database: 'shop', serverVersion: '15', release: null,
      before: '20261103T000000Z-c', migration: { latest: 'm1', count: 1 }, tables: { 'public.users': { rows: 1, checksum: 'ab' } }, dump: { file: 'x.dump', bytes: 10, sha256: 'cafe' },
    });
    const exec = host('web-1', { serving: { release: '20261103T000000Z-c', colour: 'green', port: 8001, since: '' }, releases: listing, backups: [manifest], ready: false });
    const { deployFlow } = flow(target(['web-1']), { 'web-1': exec });
    await expect(deployFlow.rollback(undefined, { withData: true })).rejects.toThrow();
    const names = steps(exec);
    expect(names).toContain('nexus-restore');
    expect(names).toContain('nexus-drop-database');
    expect(names).not.toContain('nexus-switch-database');
  });

  it.each([
    ['unsigned', (manifest: BackupManifest) => ({ ...manifest, signature: undefined }), 'BACKUP_UNSIGNED'],
    ['edited after signing', (manifest: BackupManifest) => ({ ...manifest, serverVersion: '16' }), 'BACKUP_SIGNATURE_INVALID'],
    ['signed by another key', (manifest: BackupManifest) => new BackupKeyRing(new Secret('x'.repeat(64))).sign(manifest), 'BACKUP_KEY_UNKNOWN'],
  ])('When rolling back with data to a backup %s, then it is refused (exit 5) before anything is restored or started; --allow-unsigned warns and goes on', async (_label, tamper, code) => {
    const listing = ['current 20261103T000000Z-c', release('20261102T000000Z-b'), release('20261103T000000Z-c')].join('\n');
    const backups = [tamper(preMigration('20261103T000000Z-c', 'm1'))];
    const serving: ServingState = { release: '20261103T000000Z-c', colour: 'green', port: 8001, since: '' };
    const exec = host('web-1', { serving, releases: listing, backups });
    const error = (await flow(target(['web-1']), { 'web-1': exec }).deployFlow.rollback(undefined, { withData: true }).catch((caught: unknown) => caught)) as { code: string; exitCode: number };
    expect(error).toMatchObject({ code, exitCode: 5 });
    expect(steps(exec).filter((name) => ['nexus-restore', 'nexus-backup-checksum', 'nexus-switch-database'].includes(name) || name.startsWith('compose'))).toEqual([]);

    const warnings: string[] = [];
    const allowed = host('web-1', { serving, releases: listing, backups });
    const report = await flow(target(['web-1']), { 'web-1': allowed }, { keys: KEYS, allowUnsigned: true, warn: (message) => warnings.push(message) }).deployFlow.rollback(undefined, { withData: true });
    expect(report.data).toMatchObject({ id: backups[0]?.id, signature: expect.not.stringMatching(/^valid/) });
    expect(warnings).toEqual([expect.stringContaining('--allow-unsigned')]);
  });

  it('When asked to roll back to something that is not a release id, then nothing is contacted', async () => {
    const { deployFlow, connected } = flow(target(['web-1']), { 'web-1': host('web-1') });
    await expect(deployFlow.rollback('../../etc')).rejects.toThrow('"../../etc" is not a release id');
    expect(connected).toEqual([]);
  });
});
