import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordingExecutor } from '../../../cli/exec/recording-executor';
import { collectDiagnostics, type HostDiagnostics } from '../../../cli/services/diagnostics';
import { runNexus } from '../../support/cli';
import { sshdProject } from '../../support/deploy-project';
import { describeWith } from '../../support/components';
import { sshdAvailable, startSshd, type RunningSshd } from '../../support/sshd';

describe('diagnostics from probe outputs', () => {
  it('When the disk is nearly full, memory is short, Docker and nginx are missing, then each becomes a warning', async () => {
    const answers: Record<string, { code: number; stdout: string }> = {
      disk: { code: 0, stdout: 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 95 5 95% /\n' },
      memory: { code: 0, stdout: 'MemTotal:       1000 kB\nMemAvailable:     50 kB\n' },
      docker: { code: 127, stdout: 'sh: docker: not found\n' },
      nginx: { code: 1, stdout: 'nginx: [emerg] unknown directive "bogus"\n' },
    };
    const executor = new RecordingExecutor('203.0.113.10', (command) => answers[/nexus-debug-(\w+)/.exec(command)?.[1] ?? ''] ?? {});
    const report = await collectDiagnostics(executor, '/srv/shop', () => new Date('2026-11-25T00:00:00Z'));
    expect(report.warnings).toEqual(['disk / is 95% full', 'only 5% of memory available', 'Docker is not available (run `nexus server provision`)', 'nginx -t fails or nginx is missing']);
    expect(report.probes.find((probe) => probe.name === 'docker')).toMatchObject({ ok: false, exitCode: 127, output: 'sh: docker: not found' });
    expect(executor.commands).toHaveLength(11);
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
    expect(host?.probes.map((probe) => probe.name)).toEqual(['os', 'uptime', 'disk', 'memory', 'docker', 'containers', 'ports', 'nginx', 'firewall', 'releases', 'errors']);
    const byName = new Map(host?.probes.map((probe) => [probe.name, probe]));
    expect(byName.get('os')).toMatchObject({ ok: true });
    expect(byName.get('os')?.output).toMatch(/Linux/);
    expect(byName.get('memory')?.output).toMatch(/^MemTotal:/);
    expect(byName.get('ports')?.output).toContain(`127.0.0.1:${sshd.port}`);
    expect(byName.get('releases')?.output).toContain('current: none');
    expect(statSync(output).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(output, 'utf8'))).toMatchObject({ target: 'production', hosts: [{ host: '127.0.0.1' }] });
  });
});
