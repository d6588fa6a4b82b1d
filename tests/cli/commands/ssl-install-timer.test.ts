import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { expectExit, runNexus, type CliResult } from '../../support/cli';
import { describeWith } from '../../support/components';
import { sshdAvailable, sshdTarget, startSshd, type RunningSshd } from '../../support/sshd';

interface TimerJson {
  job: string;
  schedule: string | null;
  changed: string[];
  firstRun: null;
}

describeWith('sshd', sshdAvailable, 'nexus ssl install-timer (real sshd)', () => {
  let sshd: RunningSshd;
  let project: string;
  let root: string;

  const timer = (args: string[]): Promise<CliResult> => runNexus(['ssl', 'install-timer', ...args, '--target', 'production', '--dir', project, '--json']);
  const writeConfig = (tls: object = {}) =>
    writeFileSync(
      join(project, 'nexus.yml'),
      stringify({
        app: { name: 'shop' },
        targets: {
          production: sshdTarget(sshd, { root, tls }),
        },
      }),
    );

  beforeAll(async () => {
    sshd = await startSshd();
    root = join(sshd.remoteRoot, 'srv');
    project = mkdtempSync(join(tmpdir(), 'nexus-timer-project-'));
    writeConfig();
  });

  afterAll(async () => {
    await sshd.stop();
    rmSync(project, { recursive: true, force: true });
  });

  it('When --at is not a time of day, then it exits 2 before connecting', async () => {
    const result = await timer(['--at', '7pm']);
    expectExit(result, 2);
    expect(result.json<{ error: { message: string } }>().error.message).toContain('HH:MM');
  });

  it('When the DNS provider is an exec hook, then it refuses with exit 3 and changes nothing on the host', async () => {
    writeConfig({ challenge: 'dns-01', dns_provider: { type: 'exec', command: ['/usr/local/bin/dns-hook'] } });
    try {
      const before = readFileSync(sshd.authorizedKeys, 'utf8');
      const result = await timer(['--scheduler', 'none']);
      expectExit(result, 3);
      expect(result.json<{ error: { message: string } }>().error.message).toContain('exec runs a script where nexus runs');
      expect(existsSync(join(root, 'jobs', 'ssl-renew'))).toBe(false);
      expect(readFileSync(sshd.authorizedKeys, 'utf8')).toBe(before);
    } finally {
      writeConfig();
    }
  });

  it('When removed while nothing is installed, then it says so and changes nothing', async () => {
    const before = readFileSync(sshd.authorizedKeys, 'utf8');
    const result = await timer(['--remove']);
    expectExit(result, 0);
    expect(result.json<{ changed: string[]; removed: boolean }>()).toMatchObject({ changed: [], removed: true });
    expect(readFileSync(sshd.authorizedKeys, 'utf8')).toBe(before);
  });

  it('When installed before the first deploy, then the job is in place but not run, records exit 4 when run, and status shows it; remove takes it all away', async () => {
    const operatorKey = readFileSync(sshd.authorizedKeys, 'utf8');
    const result = await timer(['--scheduler', 'none']);
    expectExit(result, 0);
    expect(result.stderr).toContain('needs a serving release');
    expect(result.json<TimerJson>()).toMatchObject({ job: `sh ${root}/jobs/ssl-renew/run.sh`, schedule: null, firstRun: null });
    const [operatorLine, renewalLine, ...rest] = readFileSync(sshd.authorizedKeys, 'utf8').split('\n');
    expect([operatorLine, rest]).toEqual([operatorKey.trim(), ['']]);
    expect(renewalLine).toBe(`restrict,command="sh ${root}/jobs/ssl-renew/gate.sh",from="127.0.0.1,::1" ${readFileSync(join(root, 'jobs', 'ssl-renew', 'id_ed25519.pub'), 'utf8').trim()}`);
    for (const file of ['gate.sh', 'allowed-calls']) expect(statSync(join(root, 'jobs', 'ssl-renew', file)).mode & 0o777).toBe(0o600);

    const run = spawnSync('sh', [join(root, 'jobs', 'ssl-renew', 'run.sh')], { encoding: 'utf8' });
    expect(run.status).toBe(4);
    const status = await runNexus(['ssl', 'status', '--target', 'production', '--dir', project, '--json']);
    expectExit(status, 0);
    expect(status.json<{ timer: object }>().timer).toEqual({ installed: true, schedule: null, lastRun: { at: expect.any(String), exit: 4, image: '' } });

    const removed = await timer(['--remove']);
    expectExit(removed, 0);
    expect(removed.json<{ changed: string[] }>().changed).toEqual([`removed the job key from ${sshd.authorizedKeys}`, `removed ${root}/jobs/ssl-renew`]);
    expect(readFileSync(sshd.authorizedKeys, 'utf8')).toBe(operatorKey);
  }, 120_000);

  it('When targets whose names share a prefix (prod, prod-eu) both have the job on one host, then installing, re-installing and removing one leaves the other intact', async () => {
    const operatorKey = readFileSync(sshd.authorizedKeys, 'utf8');
    writeFileSync(
      join(project, 'nexus.yml'),
      stringify({ app: { name: 'shop' }, targets: { prod: sshdTarget(sshd, { root: join(root, 'prod') }), 'prod-eu': sshdTarget(sshd, { root: join(root, 'prod-eu') }) } }),
    );
    const timerFor = (target: string, args = ['--scheduler', 'none']) => runNexus(['ssl', 'install-timer', ...args, '--target', target, '--dir', project, '--json']);
    const entries = () => readFileSync(sshd.authorizedKeys, 'utf8').split('\n').filter((line) => line.includes('nexus-job-'));
    try {
      expectExit(await timerFor('prod-eu'), 0);
      expectExit(await timerFor('prod'), 0);
      const both = entries();
      expect(both.map((line) => line.split(' ').pop())).toEqual(['nexus-job-ssl-renew-shop@prod-eu', 'nexus-job-ssl-renew-shop@prod']);
      const again = await timerFor('prod-eu');
      expectExit(again, 0);
      expect(again.json<{ changed: string[] }>().changed).toEqual([]);
      expect(entries()).toEqual(both);

      expectExit(await timerFor('prod', ['--remove']), 0);
      expect(entries()).toEqual([both[0]]);
      expect(existsSync(join(root, 'prod-eu', 'jobs', 'ssl-renew', 'run.sh'))).toBe(true);
      expect(existsSync(join(root, 'prod', 'jobs', 'ssl-renew'))).toBe(false);
      expectExit(await timerFor('prod-eu', ['--remove']), 0);
      expect(readFileSync(sshd.authorizedKeys, 'utf8')).toBe(operatorKey);
    } finally {
      writeConfig();
    }
  }, 240_000);
});
