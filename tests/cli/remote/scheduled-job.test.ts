import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeployTarget, type DeployTarget } from '../../../cli/deploy-config/load';
import { cronLine, jobConfig, jobScript } from '../../../cli/remote/job-files';
import { authorizeKey, ensureKeyPair, installCronEntry, NO_CRON_STATUS, removeCronEntry, removeJobDirectory, revokeKey, jobState } from '../../../cli/remote/scheduled-job';
import type { RemoteCommand } from '../../../cli/remote/shell';
import { selfSignedCertificate } from '../../support/nginx';
import { checkMetrics, promtoolBinary } from '../../support/prometheus';

const HOST_KEY = 'SHA256:7RCjUkY4Qs5UWvVyePJoG0cqXQ1RtG3T0V3QhJcfXXo';
const OTHER_HOST_KEY = 'SHA256:8RCjUkY4Qs5UWvVyePJoG0cqXQ1RtG3T0V3QhJcfXXo';

function run(command: RemoteCommand, env: NodeJS.ProcessEnv = process.env, stdin = ''): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command[0] as string, command.slice(1), { input: stdin, encoding: 'utf8', env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A directory with programs that stand in for cron's and docker's commands, recording what they were asked. */
function fakeBin(): { dir: string; env: NodeJS.ProcessEnv; crontab: string; dockerCalls: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-job-bin-'));
  const crontab = join(dir, 'crontab.txt');
  const dockerCalls = join(dir, 'docker-calls.txt');
  writeFileSync(
    join(dir, 'crontab'),
    `#!/bin/sh
case "$1" in
  -l) [ -f "${crontab}" ] || { echo "no crontab for $(id -un)" >&2; exit 1; }; cat "${crontab}";;
  -r) rm -f "${crontab}";;
  -) cat > "${crontab}";;
  *) exit 2;;
esac
`,
  );
  writeFileSync(join(dir, 'docker'), `#!/bin/sh\nprintf 'DOCKER_HOST=%s\\n' "\${DOCKER_HOST:-}" >> "${dockerCalls}"\nprintf '%s\\n' "$@" >> "${dockerCalls}"\necho "shop.example.com: not due"\nexit "\${FAKE_DOCKER_STATUS:-0}"\n`);
  chmodSync(join(dir, 'crontab'), 0o755);
  chmodSync(join(dir, 'docker'), 0o755);
  return { dir, env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` }, crontab, dockerCalls };
}

function target(root: string, extra: object = {}): DeployTarget {
  const project = mkdtempSync(join(tmpdir(), 'nexus-job-project-'));
  writeFileSync(
    join(project, 'nexus.yml'),
    JSON.stringify({
      app: { name: 'shop' },
      targets: {
        production: {
          hosts: [
            { address: '203.0.113.10', host_key: HOST_KEY },
            { address: '203.0.113.11', host_key: OTHER_HOST_KEY },
          ],
          domains: ['shop.example.com'],
          root,
          // What several hosts share (docs/scaling.md).
          database: 'external',
          redis: 'external',
          env: { MEDIA_STORAGE: 's3' },
          ...extra,
        },
      },
    }),
  );
  return loadDeployTarget(project, 'production', {}, { secrets: false });
}

describe('remote command builders: scheduled jobs', () => {
  it('When the job key is ensured twice, then it is made once, private to its owner, and the same public key is printed', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nexus-job-')), 'jobs', 'ssl-renew');
    const first = run(ensureKeyPair(join(dir, 'id_ed25519'), 'nexus-job-ssl-renew-shop@production'));
    expect(first).toMatchObject({ code: 0, stderr: `changed: created the job key ${join(dir, 'id_ed25519')}\n` });
    expect(first.stdout).toMatch(/^ssh-ed25519 \S+ nexus-job-ssl-renew-shop@production\n$/);
    expect(statSync(join(dir, 'id_ed25519')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(run(ensureKeyPair(join(dir, 'id_ed25519'), 'nexus-job-ssl-renew-shop@production'))).toEqual({ code: 0, stdout: first.stdout, stderr: '' });
  });

  it('When a key is authorised, then other entries stay, a second run changes nothing, an older key of the same tag is replaced, and revoking removes only it', () => {
    const home = mkdtempSync(join(tmpdir(), 'nexus-job-home-'));
    const env = { ...process.env, HOME: home };
    const file = join(home, '.ssh', 'authorized_keys');
    mkdirSync(join(home, '.ssh'));
    writeFileSync(file, 'ssh-ed25519 AAAAoperator operator@laptop\nssh-ed25519 AAAAci ci@runner'); // no final newline
    const tag = 'nexus-job-ssl-renew-shop@production';
    const entry = `restrict,from="127.0.0.1,::1" ssh-ed25519 AAAAnew ${tag}`;
    expect(run(authorizeKey('~/.ssh/authorized_keys', `restrict ssh-ed25519 AAAAold ${tag}`, tag), env)).toMatchObject({ code: 0, stdout: `changed: authorised the job key in ${file}\n` });
    expect(run(authorizeKey('~/.ssh/authorized_keys', entry, tag), env).stdout).toBe(`changed: authorised the job key in ${file}\n`);
    expect(readFileSync(file, 'utf8')).toBe(`ssh-ed25519 AAAAoperator operator@laptop\nssh-ed25519 AAAAci ci@runner\n${entry}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(run(authorizeKey('~/.ssh/authorized_keys', entry, tag), env)).toEqual({ code: 0, stdout: '', stderr: '' });

    expect(run(revokeKey(file, tag), env).stdout).toBe(`changed: removed the job key from ${file}\n`);
    expect(readFileSync(file, 'utf8')).toBe('ssh-ed25519 AAAAoperator operator@laptop\nssh-ed25519 AAAAci ci@runner\n');
    expect(run(revokeKey(file, tag), env)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('When the cron entry is installed, changed and removed, then the crontab keeps every other entry and a repeat changes nothing', () => {
    const { env, crontab } = fakeBin();
    writeFileSync(crontab, 'MAILTO=ops@example.com\n0 1 * * * /usr/local/bin/cleanup\n');
    const marker = 'nexus job ssl-renew: shop/production';
    const line = `17 3 * * * sh /srv/nexus/jobs/ssl-renew/run.sh >> /srv/nexus/jobs/ssl-renew/job.log 2>&1 # ${marker}`;
    expect(run(installCronEntry(marker, line), env)).toEqual({ code: 0, stdout: `changed: scheduled ${line}\n`, stderr: '' });
    expect(run(installCronEntry(marker, line), env)).toEqual({ code: 0, stdout: '', stderr: '' });
    const moved = line.replace('17 3', '30 4');
    expect(run(installCronEntry(marker, moved), env).stdout).toBe(`changed: scheduled ${moved}\n`);
    expect(readFileSync(crontab, 'utf8')).toBe(`MAILTO=ops@example.com\n0 1 * * * /usr/local/bin/cleanup\n${moved}\n`);
    expect(run(removeCronEntry(marker), env).stdout).toBe('changed: removed the crontab entry\n');
    expect(readFileSync(crontab, 'utf8')).toBe('MAILTO=ops@example.com\n0 1 * * * /usr/local/bin/cleanup\n');
    expect(run(removeCronEntry(marker), env)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('When two targets whose names share a prefix (prod, prod-eu) have jobs on one host, then installing, re-installing and removing one leaves the other intact', () => {
    const { env, crontab } = fakeBin();
    const home = mkdtempSync(join(tmpdir(), 'nexus-job-home-'));
    const file = join(home, 'authorized_keys');
    writeFileSync(file, 'ssh-ed25519 AAAAoperator operator@laptop\n');
    const job = (target: string) => {
      const marker = `nexus job ssl-renew: shop/${target}`;
      const tag = `nexus-job-ssl-renew-shop@${target}`;
      return { marker, tag, line: `17 3 * * * sh /srv/${target}/jobs/ssl-renew/run.sh >> /srv/${target}/jobs/ssl-renew/job.log 2>&1 # ${marker}`, entry: `restrict ssh-ed25519 AAAA${target.replace('-', '')} ${tag}` };
    };
    const [eu, prod] = [job('prod-eu'), job('prod')];
    const install = (j: typeof eu) => [run(authorizeKey(file, j.entry, j.tag), env), run(installCronEntry(j.marker, j.line), env)];
    expect(install(eu).map((result) => result.code)).toEqual([0, 0]);
    expect(install(prod).map((result) => result.code)).toEqual([0, 0]);
    const both = { keys: `ssh-ed25519 AAAAoperator operator@laptop\n${eu.entry}\n${prod.entry}\n`, cron: `${eu.line}\n${prod.line}\n` };
    expect({ keys: readFileSync(file, 'utf8'), cron: readFileSync(crontab, 'utf8') }).toEqual(both);

    // Re-installing either changes nothing.
    expect(install(prod)).toEqual([{ code: 0, stdout: '', stderr: '' }, { code: 0, stdout: '', stderr: '' }]);
    expect(install(eu)).toEqual([{ code: 0, stdout: '', stderr: '' }, { code: 0, stdout: '', stderr: '' }]);
    expect({ keys: readFileSync(file, 'utf8'), cron: readFileSync(crontab, 'utf8') }).toEqual(both);
    expect(run(jobState('/nonexistent', prod.marker), env).stdout.split('\n')[1]).toBe(prod.line);
    expect(run(jobState('/nonexistent', 'nexus job ssl-renew: shop/pro'), env).stdout.split('\n')[1]).toBe('');

    // Removing prod leaves prod-eu's key and crontab entry, and removing it again changes nothing.
    expect(run(revokeKey(file, prod.tag), env).stdout).toBe(`changed: removed the job key from ${file}\n`);
    expect(run(removeCronEntry(prod.marker), env).stdout).toBe('changed: removed the crontab entry\n');
    expect({ keys: readFileSync(file, 'utf8'), cron: readFileSync(crontab, 'utf8') }).toEqual({ keys: `ssh-ed25519 AAAAoperator operator@laptop\n${eu.entry}\n`, cron: `${eu.line}\n` });
    expect([run(revokeKey(file, prod.tag), env), run(removeCronEntry(prod.marker), env)]).toEqual([{ code: 0, stdout: '', stderr: '' }, { code: 0, stdout: '', stderr: '' }]);
    expect(run(revokeKey(file, 'nexus-job-ssl-renew-shop@prod-e'), env).stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(`ssh-ed25519 AAAAoperator operator@laptop\n${eu.entry}\n`);
  });

  it('When the only entry is removed, then the crontab goes; when the host has no cron, then installing says so', () => {
    const { env, crontab } = fakeBin();
    expect(run(installCronEntry('m', '1 2 * * * true # m'), env).code).toBe(0);
    expect(readFileSync(crontab, 'utf8')).toBe('1 2 * * * true # m\n');
    expect(run(removeCronEntry('m'), env).code).toBe(0);
    expect(existsSync(crontab)).toBe(false);
    const [, ...rest] = installCronEntry('m', '1 2 * * * true # m');
    const refused = run(['/bin/sh', ...rest], { ...process.env, PATH: mkdtempSync(join(tmpdir(), 'nexus-empty-path-')) });
    expect(refused.code).toBe(NO_CRON_STATUS);
    expect(refused.stderr).toContain('cron is not installed');
  });

  it('When the job runs, then it starts nexus ssl renew from the serving image on the host network as its own user, records the outcome, and passes the exit status on', () => {
    const root = mkdtempSync(join(tmpdir(), 'nexus-job-root-'));
    const deploy = target(root, { docker_host: 'unix:///run/other/docker.sock' });
    const dir = join(root, 'jobs', 'ssl-renew');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'run.sh'), jobScript(deploy, dir, { args: ['ssl', 'renew'], caBundle: true, name: 'ssl-renew' }));
    const { env, dockerCalls } = fakeBin();

    const nothingDeployed = run(['sh', join(dir, 'run.sh')], env);
    expect(nothingDeployed.code).toBe(4);
    expect(nothingDeployed.stderr).toContain('nothing is deployed on this host yet');
    expect(JSON.parse(readFileSync(join(dir, 'last-run.json'), 'utf8'))).toMatchObject({ exit: 4, image: '' });

    mkdirSync(join(root, 'releases', 'r1'), { recursive: true });
    writeFileSync(join(root, 'releases', 'r1', 'release.json'), JSON.stringify({ id: 'r1', version: '1.0.0', image: 'shop:1.0.0-abc', created_at: 'x' }, null, 2));
    spawnSync('ln', ['-s', 'releases/r1', join(root, 'current')]);
    const renewed = run(['sh', join(dir, 'run.sh')], env);
    expect(renewed).toMatchObject({ code: 0, stdout: expect.stringContaining('not due') });
    const calls = readFileSync(dockerCalls, 'utf8').split('\n');
    const uid = spawnSync('id', ['-u'], { encoding: 'utf8' }).stdout.trim();
    const gid = spawnSync('id', ['-g'], { encoding: 'utf8' }).stdout.trim();
    expect(calls).toEqual([
      'DOCKER_HOST=unix:///run/other/docker.sock',
      'run', '--rm', '--network', 'host', '--user', `${uid}:${gid}`, '-e', 'HOME=/tmp', '-e', 'SHELL=/bin/sh',
      '-e', expect.stringMatching(/^NEXUS_OPERATOR=scheduled-job@/), '-e', 'NODE_EXTRA_CA_CERTS=/nexus/ca.pem',
      '--env-file', `${dir}/secrets`, '-v', `${dir}:/nexus:ro`,
      'shop:1.0.0-abc', 'node', 'bin/run.js', 'ssl', 'renew', '--target', 'production', '--dir', '/nexus', '',
    ]);
    expect(JSON.parse(readFileSync(join(dir, 'last-run.json'), 'utf8'))).toMatchObject({ exit: 0, image: 'shop:1.0.0-abc', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

    expect(run(['sh', join(dir, 'run.sh')], { ...env, FAKE_DOCKER_STATUS: '10' }).code).toBe(10);
    expect(JSON.parse(readFileSync(join(dir, 'last-run.json'), 'utf8'))).toMatchObject({ exit: 10 });
    const state = run(jobState(dir, 'nexus job ssl-renew: shop/production'), env);
    expect(state.stdout.split('\n').slice(0, 3)).toEqual(['job', '', expect.stringContaining('"exit":10')]);
  });

  it('When the job runs on a host with the metrics directory, then it reports its runs and the certificate\'s expiry for the node exporter, in a format promtool accepts', () => {
    const root = mkdtempSync(join(tmpdir(), 'nexus-job-root-'));
    const deploy = target(root);
    const dir = join(root, 'jobs', 'ssl-renew');
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(root, 'metrics'));
    const certs = join(root, 'certs', 'shop.example.com');
    mkdirSync(certs, { recursive: true });
    const { fullchain } = selfSignedCertificate(certs, ['shop.example.com'], 30);
    const expiresAt = Date.parse(spawnSync('openssl', ['x509', '-enddate', '-noout', '-in', fullchain], { encoding: 'utf8' }).stdout.replace('notAfter=', '').trim()) / 1000;
    writeFileSync(join(dir, 'run.sh'), jobScript(deploy, dir, { args: ['ssl', 'renew'], caBundle: false, name: 'ssl-renew', certificate: { domain: 'shop.example.com', fullchain } }));
    mkdirSync(join(root, 'releases', 'r1'), { recursive: true });
    writeFileSync(join(root, 'releases', 'r1', 'release.json'), JSON.stringify({ id: 'r1', image: 'shop:1.0.0-abc' }, null, 2));
    spawnSync('ln', ['-s', 'releases/r1', join(root, 'current')]);
    const { env } = fakeBin();
    const file = join(root, 'metrics', 'nexus-job-ssl-renew.prom');
    const sample = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1]);

    const before = Math.floor(Date.now() / 1000);
    expect(run(['sh', join(dir, 'run.sh')], env).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('nexus_job_last_run_timestamp_seconds{app="shop",target="production",job="ssl-renew"} ');
    expect(text).toContain('nexus_certificate_expiry_timestamp_seconds{app="shop",target="production",domain="shop.example.com"} ');
    expect(sample('nexus_certificate_expiry_timestamp_seconds')).toBe(expiresAt);
    expect(sample('nexus_job_last_exit_code')).toBe(0);
    const succeeded = sample('nexus_job_last_success_timestamp_seconds');
    expect(succeeded).toBeGreaterThanOrEqual(before);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('644');
    if (promtoolBinary) expect(checkMetrics(text)).toEqual({ status: 0, output: '' });

    // A failed run: its exit status, and the last success kept from before.
    expect(run(['sh', join(dir, 'run.sh')], { ...env, FAKE_DOCKER_STATUS: '1' }).code).toBe(1);
    expect(sample('nexus_job_last_exit_code')).toBe(1);
    expect(sample('nexus_job_last_success_timestamp_seconds')).toBe(succeeded);
  });

  it('When the job configuration is read back, then it is the same target reached over loopback with the job key, through its gate', () => {
    const root = mkdtempSync(join(tmpdir(), 'nexus-job-root-'));
    const deploy = target(root, { tls: { email: 'ops@example.com', renew_fraction: 0.25 } });
    const project = mkdtempSync(join(tmpdir(), 'nexus-job-readback-'));
    writeFileSync(join(project, 'nexus.yml'), jobConfig(deploy));
    const back = loadDeployTarget(project, 'production', {}, { secrets: false });
    expect(back.keyPath).toBe('/nexus/id_ed25519');
    expect([deploy.target.ssh.gated, back.target.ssh.gated]).toEqual([false, true]);
    expect(back.target.hosts).toEqual([
      { address: '127.0.0.1', host_key: HOST_KEY },
      { address: '203.0.113.11', host_key: OTHER_HOST_KEY },
    ]);
    expect({ ...back.target, hosts: [], ssh: { ...back.target.ssh, key: '', gated: false } }).toEqual({ ...deploy.target, hosts: [], ssh: { ...deploy.target.ssh, key: '' } });
    expect(back.app).toEqual({ ...deploy.app, secrets: [] });
  });

  it('When the cron line is made, then it runs the job daily at the time given and appends to its log; only a job directory can be removed', () => {
    expect(cronLine('/srv/nexus/jobs/ssl-renew', { hour: 3, minute: 7 }, 'nexus job ssl-renew: shop/production')).toBe(
      '7 3 * * * sh /srv/nexus/jobs/ssl-renew/run.sh >> /srv/nexus/jobs/ssl-renew/job.log 2>&1 # nexus job ssl-renew: shop/production',
    );
    expect(() => removeJobDirectory('/srv/nexus')).toThrow(/not a job directory/);
    expect(() => removeJobDirectory('/srv/nexus/jobs/../..')).toThrow(/not a job directory/);
    expect(removeJobDirectory('/srv/nexus/jobs/db-backup')).toContain('/srv/nexus/jobs/db-backup');
  });
});
