import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingExecutor } from '../../../cli/exec/recording-executor';
import { diagnosticProbes } from '../../../cli/remote/diagnostics';
import { collectDiagnostics, type HostDiagnostics } from '../../../cli/services/diagnostics';
import { runNexus } from '../../support/cli';
import { sshdProject } from '../../support/deploy-project';
import { describeWith } from '../../support/components';
import { sshdAvailable, startSshd, type RunningSshd } from '../../support/sshd';

describe('diagnostics from probe outputs', () => {
  it('When the disk is nearly full, memory is short, Docker and nginx are missing, the firewall is off, then each becomes a warning with its reason', async () => {
    const answers: Record<string, { code: number; stdout: string }> = {
      disk: { code: 0, stdout: 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 95 5 95% /\n' },
      memory: { code: 0, stdout: 'MemTotal:       1000 kB\nMemAvailable:     50 kB\n' },
      docker: { code: 127, stdout: 'sh: docker: not found\n' },
      nginx: { code: 1, stdout: 'nginx: [emerg] unknown directive "bogus"\n' },
      firewall: { code: 0, stdout: 'Status: inactive\n' },
      release: {
        code: 0,
        stdout: 'project shop-green\napp running healthy restarts=0 /shop-green-app-1\nworker running unhealthy restarts=2 /shop-green-worker-1\n  health check (exit 1): last heartbeat 41 s ago\n',
      },
    };
    const executor = new RecordingExecutor('203.0.113.10', (command) => answers[/nexus-debug-(\w+)/.exec(command)?.[1] ?? ''] ?? {});
    const report = await collectDiagnostics(executor, { root: '/srv/shop', app: 'shop', nginxCommand: ['sudo', '-n', '/usr/sbin/nginx'] }, () => new Date('2026-11-25T00:00:00Z'));
    expect(report.warnings).toEqual([
      'disk / is 95% full',
      'only 5% of memory available',
      'Docker is not available (run `nexus server provision`) (exit 127): sh: docker: not found',
      'nginx -t fails or nginx is missing (exit 1): nginx: [emerg] unknown directive "bogus"',
      'the firewall (ufw) is inactive: every port is open (run `nexus server provision`)',
      "the serving release's worker container shop-green-worker-1 is unhealthy, restarted 2 times (`nexus logs worker` shows why)",
    ]);
    expect(report.probes.find((probe) => probe.name === 'docker')).toMatchObject({ ok: false, exitCode: 127, output: 'sh: docker: not found' });
    expect(executor.commands).toHaveLength(12);
  });
});

describe('diagnostic probes run as a deploy user would run them', () => {
  let bin: string;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'nexus-debug-bin-'));
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const runProbe = (name: string, nginxCommand: string[] = ['sudo', '-n', '/usr/sbin/nginx']) => {
    const probe = diagnosticProbes({ root: '/srv/shop', app: 'shop', nginxCommand }).find((each) => each.name === name);
    const [, ...args] = probe?.command ?? [];
    // Only the stubs on the PATH (the probe adds the sbin directories): this machine's own Docker and Compose stay out.
    const result = spawnSync('/bin/sh', args, { encoding: 'utf8', env: { PATH: bin } });
    return { code: result.status, output: result.stdout.trim() };
  };
  // Docker 20.10 without the compose plugin: `docker compose …` is unknown, and with --short it prints its whole help.
  const dockerWithoutPlugin = 'case "$1 $2" in "version --format") echo 20.10.24+dfsg1;; "compose version") case "$3" in --short) echo "unknown flag: --short"; echo "Usage: docker [OPTIONS] COMMAND"; exit 125;; esac; echo "docker: \'compose\' is not a docker command." >&2; exit 1;; esac';

  it('When the host has Docker 20.10 and docker-compose 1.29 (Debian 12), then the probe reports both versions and no help text', () => {
    tool('docker', dockerWithoutPlugin);
    tool('docker-compose', '[ "$1 $2" = "version --short" ] && echo 1.29.2');
    expect(runProbe('docker')).toEqual({ code: 0, output: 'engine 20.10.24+dfsg1\ncompose v1 1.29.2' });
  });

  it('When the host has the compose plugin (Ubuntu, Debian 13), then the probe reports Compose v2', () => {
    tool('docker', 'case "$1 $2 $3" in "version --format "*) echo 26.1.3;; "compose version --short") echo 2.27.0;; "compose version ") echo "Docker Compose version v2.27.0";; *) exit 1;; esac');
    expect(runProbe('docker')).toEqual({ code: 0, output: 'engine 26.1.3\ncompose v2 2.27.0' });
  });

  it('When the host has no Compose at all, then the probe fails with that reason', () => {
    tool('docker', dockerWithoutPlugin);
    expect(runProbe('docker')).toEqual({ code: 1, output: 'engine 20.10.24+dfsg1\nneither the docker compose plugin nor docker-compose is installed' });
  });

  it("When a release serves, then the release probe lists its colour's containers with their health, and a failing health check's output", () => {
    const root = mkdtempSync(join(tmpdir(), 'nexus-debug-root-'));
    writeFileSync(join(root, 'serving.json'), '{\n  "release": "r1",\n  "colour": "green",\n  "port": 8001\n}\n');
    // Answers as Docker 20.10 does for the format the probe passes: the worker's health is reported, the app's is fine.
    tool('docker', `case "$1" in
  ps) [ "$4" = label=com.docker.compose.project=shop-green ] && printf 'a1\\nw1\\n';;
  inspect) case "$4" in a1) echo "app running healthy restarts=0 /shop-green-app-1";; w1) printf 'worker running unhealthy restarts=0 /shop-green-worker-1\\n  health check (exit 1): last heartbeat 41 s ago\\n';; esac;;
esac`);
    tool('sed', 'exec /bin/sed "$@"');
    const probe = diagnosticProbes({ root, app: 'shop', nginxCommand: [] }).find((each) => each.name === 'release');
    const [, ...args] = probe?.command ?? [];
    const result = spawnSync('/bin/sh', args, { encoding: 'utf8', env: { PATH: bin } });
    expect(result.stdout.trim().split('\n')).toEqual(['project shop-green', 'app running healthy restarts=0 /shop-green-app-1', 'worker running unhealthy restarts=0 /shop-green-worker-1', '  health check (exit 1): last heartbeat 41 s ago']);
    expect(probe?.command[2]).toContain('{{if ne .Status "healthy"}}{{range .Log}}');
    rmSync(root, { recursive: true, force: true });
  });

  it('When not root, then the firewall is read through sudo -n with exactly the command line the sudo rule allows, and nginx -t through nginx.command', () => {
    tool('id', '[ "$1" = -u ] && echo 1000');
    tool('ufw', 'echo "ERROR: You need to be root to run this script"; exit 1');
    tool('sudo', 'echo "sudo $*"');
    tool('nginx', 'echo "nginx version: nginx/1.22.1" >&2');
    expect(runProbe('firewall')).toEqual({ code: 0, output: 'sudo -n ufw status verbose' });
    expect(runProbe('nginx')).toEqual({ code: 0, output: 'nginx version: nginx/1.22.1\nsudo -n /usr/sbin/nginx -t' });
  });
});

describeWith('sshd', sshdAvailable, 'nexus debug over a real sshd', () => {
  let sshd: RunningSshd;
  let project: string;

  beforeAll(async () => {
    sshd = await startSshd();
    project = sshdProject(sshd, sshd.remoteRoot);
  });
  afterAll(async () => {
    await sshd.stop();
    rmSync(project, { recursive: true, force: true });
  });

  it('When run against a host, then every probe reports on its own and the bundle file is private', async () => {
    const output = join(project, 'report.json');
    const result = await runNexus(['debug', '--target', 'production', '--dir', project, '--json', '--output', output], { env: { JWT_SECRET: 'x' } });
    expect(result.code).toBe(0);
    const [host] = result.json<{ hosts: HostDiagnostics[] }>().hosts;
    expect(host?.host).toBe('127.0.0.1');
    expect(host?.probes.map((probe) => probe.name)).toEqual(['os', 'uptime', 'disk', 'memory', 'docker', 'containers', 'release', 'ports', 'nginx', 'firewall', 'releases', 'errors']);
    const byName = new Map(host?.probes.map((probe) => [probe.name, probe]));
    expect(byName.get('os')).toMatchObject({ ok: true });
    expect(byName.get('os')?.output).toMatch(/Linux/);
    expect(byName.get('memory')?.output).toMatch(/^MemTotal:/);
    expect(byName.get('ports')?.output).toContain(`127.0.0.1:${sshd.port}`);
    expect(byName.get('releases')?.output).toContain('current: none');
    expect(byName.get('release')).toMatchObject({ ok: true, output: `no release is serving under ${sshd.remoteRoot}` });
    expect(statSync(output).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(output, 'utf8'))).toMatchObject({ target: 'production', hosts: [{ host: '127.0.0.1' }] });
  });
});
