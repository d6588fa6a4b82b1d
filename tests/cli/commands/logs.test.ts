import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { logsCommand, type LogRequest, type LogService } from '../../../cli/remote/logs';
import { runNexus, startNexus } from '../../support/cli';
import { sshdProject } from '../../support/deploy-project';
import { describeWith, waitFor } from '../../support/components';
import { sshdAvailable, startSshd, type RunningSshd } from '../../support/sshd';

describe('remote command builders: logs', () => {
  it('When the app logs are asked for, then the options are parameters of a script that finds the current colour', () => {
    const command = logsCommand({ service: 'app', app: 'shop', root: '/srv/shop', lines: 50, follow: true, since: '10m', grep: "it's $(bad)", nginxLogDir: '/var/log/nginx' });
    expect(command.slice(3)).toEqual(['nexus-logs-app', '/srv/shop', '50', '--follow', "it's $(bad)", 'shop', 'app', '10m']);
    expect(command[2]).toContain('compose -p "$project" -f "$file" --env-file compose.env logs --no-color --tail "$lines" ${follow:+"$follow"} ${since:+"--since=$since"} "$service"');
    expect(command[2]).toContain('"$root/serving.json"');
    expect(command[2]).not.toContain('bad');
  });

  it('When --since holds spaces or glob characters, then Docker gets it as one argument, unexpanded, and no empty argument stands in for a missing option', () => {
    const root = mkdtempSync(join(tmpdir(), 'nexus-logs-root-'));
    mkdirSync(join(root, 'current'));
    writeFileSync(join(root, 'serving.json'), '{"colour": "blue"}');
    writeFileSync(join(root, 'current', 'matches-a-glob'), '');
    const bin = mkdtempSync(join(tmpdir(), 'nexus-logs-bin-'));
    // A docker that has the compose plugin and prints the arguments of every other call, one per line.
    writeFileSync(join(bin, 'docker'), '#!/bin/sh\n[ "$1 $2" = "compose version" ] && exit 0\nprintf \'<%s>\\n\' "$@"\n');
    chmodSync(join(bin, 'docker'), 0o755);
    const argsFor = (since: string | undefined) => {
      const command = logsCommand({ service: 'app', app: 'shop', root, lines: 5, follow: false, since, nginxLogDir: '/var/log/nginx' });
      const result = spawnSync(command[0] as string, command.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } });
      expect(result.status).toBe(0);
      return result.stdout.trim().split('\n');
    };
    const prefix = ['<compose>', '<-p>', '<shop-blue>', '<-f>', '<docker-compose.prod.yml>', '<--env-file>', '<compose.env>', '<logs>', '<--no-color>', '<--tail>', '<5>'];
    expect(argsFor('10m --until=1s')).toEqual([...prefix, '<--since=10m --until=1s>', '<app>']);
    expect(argsFor('*')).toEqual([...prefix, '<--since=*>', '<app>']);
    expect(argsFor(undefined)).toEqual([...prefix, '<app>']);
    // The worker's containers (every copy) are in the same compose project as the app, the serving colour's.
    const worker = logsCommand({ service: 'worker', app: 'shop', root, lines: 5, follow: false, nginxLogDir: '/var/log/nginx' });
    const result = spawnSync(worker[0] as string, worker.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } });
    expect(result.stdout.trim().split('\n')).toEqual([...prefix, '<worker>']);
  });

  describe('on a host with Docker 20.10 and docker-compose 1.29 (Debian 12), whose `logs` has no --since', () => {
    let root: string;
    let bin: string;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'nexus-logs-root-'));
      mkdirSync(join(root, 'services'));
      bin = mkdtempSync(join(tmpdir(), 'nexus-logs-bin-'));
      // No compose plugin; `docker logs` prints its arguments, and one line on stderr as a container would.
      writeFileSync(join(bin, 'docker'), '#!/bin/sh\n[ "$1" = compose ] && exit 1\nprintf \'<%s>\\n\' "$@"\necho "from stderr" >&2\n');
      writeFileSync(join(bin, 'docker-compose'), `#!/bin/sh\ncase "$*" in *" ps -q postgres") printf '${'a'.repeat(12)}\\n${'b'.repeat(12)}\\n';; *" ps -q redis") ;; *) printf '<%s>\\n' "$@";; esac\n`);
      for (const file of ['docker', 'docker-compose']) chmodSync(join(bin, file), 0o755);
    });
    afterEach(() => {
      rmSync(root, { recursive: true, force: true });
      rmSync(bin, { recursive: true, force: true });
    });
    const run = (service: LogService, since: string | undefined, grep?: string) => {
      const command = logsCommand({ service, app: 'shop', root, lines: 5, follow: false, since, grep, nginxLogDir: '/var/log/nginx' });
      const result = spawnSync(command[0] as string, command.slice(1), { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } });
      return { code: result.status, stdout: result.stdout.trim().split('\n'), stderr: result.stderr.trim() };
    };

    it('When --since is given, then each container of the service is read with docker logs --since, its stderr included and filtered', () => {
      const logsOf = (id: string) => ['<logs>', '<--tail>', '<5>', '<--since>', '<10m>', `<${id}>`, 'from stderr'];
      expect(run('postgres', '10m')).toEqual({ code: 0, stdout: [...logsOf('a'.repeat(12)), ...logsOf('b'.repeat(12))], stderr: '' });
      expect(run('postgres', '10m', 'stderr')).toEqual({ code: 0, stdout: ['from stderr', 'from stderr'], stderr: '' });
    });

    it('When --since is not given, then docker-compose logs reads the service itself', () => {
      expect(run('postgres', undefined).stdout).toEqual(['<-p>', '<shop-services>', '<-f>', '<docker-compose.services.yml>', '<--env-file>', '<compose.env>', '<logs>', '<--no-color>', '<--tail>', '<5>', '<postgres>']);
    });

    it('When the service has no container, then it fails with that reason on stderr', () => {
      expect(run('redis', '10m')).toEqual({ code: 3, stdout: [''], stderr: 'redis has no container in the compose project shop-services' });
    });
  });

  it('When a log file cannot be read or the tool fails, then the command fails with the reason on stderr, whatever --grep keeps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-logs-nginx-'));
    const run = (request: Partial<LogRequest>) => {
      const command = logsCommand({ service: 'nginx', app: 'shop', root: '/srv/shop', lines: 5, follow: false, nginxLogDir: dir, ...request });
      const result = spawnSync(command[0] as string, command.slice(1), { encoding: 'utf8' });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
    };
    expect(run({ grep: 'x' })).toEqual({ code: 1, stdout: '', stderr: `${dir}/access.log does not exist (pass --nginx-log-dir if nginx logs elsewhere)` });
    writeFileSync(join(dir, 'access.log'), 'GET / 200\n');
    writeFileSync(join(dir, 'error.log'), '');
    expect(run({ lines: 1, grep: '200' })).toEqual({ code: 0, stdout: 'GET / 200\n', stderr: '' });
    // Readable but not a file: tail itself fails, after the lines it could print went through the filter.
    rmSync(join(dir, 'error.log'));
    mkdirSync(join(dir, 'error.log'));
    expect(run({ lines: 1, grep: '200' })).toMatchObject({ code: 1, stdout: 'GET / 200\n', stderr: expect.stringContaining('Is a directory') });
    rmSync(dir, { recursive: true, force: true });
  });
});

describeWith('sshd', sshdAvailable, 'nexus logs over a real sshd', () => {
  let sshd: RunningSshd;
  let project: string;
  let logDir: string;
  const env = { JWT_SECRET: 'x' };

  beforeAll(async () => {
    sshd = await startSshd();
    logDir = join(sshd.remoteRoot, `nginx-${process.pid}`);
    mkdirSync(logDir);
    writeFileSync(join(logDir, 'access.log'), ['GET /a 200', 'GET /b 502', 'GET /c 200'].join('\n') + '\n');
    writeFileSync(join(logDir, 'error.log'), 'upstream timed out\n');
    project = sshdProject(sshd, join(sshd.remoteRoot, 'srv'));
  });
  afterAll(async () => {
    await sshd.stop();
    rmSync(project, { recursive: true, force: true });
  });

  const logs = (...args: string[]) => runNexus(['logs', ...args, '--target', 'production', '--dir', project, '--nginx-log-dir', logDir], { env });

  it('When nginx logs are read with --lines and --grep, then exactly the matching history comes back', async () => {
    const all = await logs('nginx', '--lines', '2', '--json');
    expect(all.code).toBe(0);
    expect(all.json<{ lines: string[] }>().lines).toEqual([`==> ${logDir}/access.log <==`, 'GET /b 502', 'GET /c 200', `==> ${logDir}/error.log <==`, 'upstream timed out']);
    const filtered = await logs('nginx', '--grep', ' 502', '--json');
    expect(filtered.json<{ lines: string[] }>().lines).toEqual(['GET /b 502']);
  });

  it('When following, then new lines arrive, and Ctrl-C ends the command and the remote tail', async () => {
    const running = await startNexus(['logs', 'nginx', '--follow', '--lines', '1', '--target', 'production', '--dir', project, '--nginx-log-dir', logDir], (stdout) => stdout.includes('upstream timed out'), { env, timeoutMs: 20_000 });
    appendFileSync(join(logDir, 'access.log'), 'GET /live 200\n');
    const deadline = Date.now() + 10_000;
    while (!running.stdout().includes('GET /live 200') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running.stdout()).toContain('GET /live 200');
    running.child.kill('SIGINT');
    expect(await running.exited).toBe(0);
    await waitFor('the remote tail to end', () => Promise.resolve(execFileSync('sh', ['-c', `pgrep -f "[t]ail -n 1 -F ${logDir}" || true`], { encoding: 'utf8' }).trim() === ''));
  });

  it('When no release is serving yet, then app logs fail with the reason and exit 1', async () => {
    const result = await logs('app', '--json');
    expect(result.code).toBe(1);
    expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'LOGS_FAILED' });
    expect(result.json<{ error: { message: string } }>().error.message).toContain(`no release is serving under ${join(sshd.remoteRoot, 'srv')}`);
  });

  it('When the host cannot give the logs, then the command exits 1 with the host\'s reason, with and without --json', async () => {
    const missing = join(sshd.remoteRoot, 'no-such-dir');
    const run = (...args: string[]) => runNexus(['logs', 'nginx', ...args, '--target', 'production', '--dir', project, '--nginx-log-dir', missing], { env });
    const reason = `${missing}/access.log does not exist (pass --nginx-log-dir if nginx logs elsewhere)`;
    const json = await run('--json');
    expect(json.code).toBe(1);
    expect(json.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'LOGS_FAILED', message: expect.stringContaining(reason) });
    const plain = await run();
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain(reason);
    expect(plain.stdout).toBe('');
  });

  it('When --since is used with nginx, is not a time or duration, or --follow is used with --json, then it is a usage error', async () => {
    expect((await logs('nginx', '--since', '10m')).code).toBe(2);
    const malformed = await logs('app', '--since', '10m; id', '--json');
    expect(malformed.code).toBe(2);
    expect(malformed.json<{ error: { message: string } }>().error.message).toContain('--since');
    expect((await logs('nginx', '--follow', '--json')).code).toBe(2);
  });
});
