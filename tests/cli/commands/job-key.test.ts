import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { expectExit, runNexus } from '../../support/cli';
import { describeWith, freePort } from '../../support/components';
import { selfSignedCertificate } from '../../support/nginx';
import { sshdAvailable, sshdTarget, startSshd, type RunningSshd } from '../../support/sshd';

/** A call in the form the job gate takes: `nexus-gate` and each argument as `:` + base64. */
function throughGate(argv: string[]): string {
  return ['nexus-gate', ...argv.map((argument) => `:${Buffer.from(argument).toString('base64')}`)].join(' ');
}

describeWith('sshd', sshdAvailable, 'the scheduled job key (real sshd): bound to its job, nothing else', () => {
  let sshd: RunningSshd;
  let project: string;
  let root: string;
  let jobKey: string;

  /** The OpenSSH client with a key, as an attacker holding it would use it. */
  const ssh = (key: string, args: string[], options: { bind?: string; stdin?: string } = {}) => {
    const result = spawnSync(
      'ssh',
      ['-i', key, '-p', String(sshd.port), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=10',
        ...(options.bind ? ['-b', options.bind] : []), ...args],
      { encoding: 'utf8', input: options.stdin ?? '', timeout: 30_000 },
    );
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const login = () => `${sshd.user}@127.0.0.1`;

  beforeAll(async () => {
    sshd = await startSshd({ allowTcpForwarding: true });
    root = join(sshd.remoteRoot, 'srv');
    project = mkdtempSync(join(tmpdir(), 'nexus-job-key-'));
    // The CA is unreachable: the job's legitimate calls (status, lock) must pass; issuing is not the point here.
    writeFileSync(join(project, 'nexus.yml'), stringify({ app: { name: 'shop' }, targets: { production: sshdTarget(sshd, { root, tls: { ca: `https://127.0.0.1:${await freePort()}/dir` } }) } }));
    expectExit(await runNexus(['ssl', 'install-timer', '--scheduler', 'none', '--target', 'production', '--dir', project, '--json']), 0);
    jobKey = join(root, 'jobs', 'ssl-renew', 'id_ed25519');
  }, 120_000);

  afterAll(async () => {
    await sshd.stop();
    rmSync(project, { recursive: true, force: true });
  });

  it("When the key is in authorized_keys, then it is restricted, bound to the job's gate and to loopback", () => {
    const entry = readFileSync(sshd.authorizedKeys, 'utf8').split('\n').find((line) => line.endsWith(' nexus-job-ssl-renew-shop@production'));
    expect(entry).toMatch(new RegExp(`^restrict,command="sh ${root}/jobs/ssl-renew/gate\\.sh",from="127\\.0\\.0\\.1,::1" ssh-ed25519 \\S+ nexus-job-ssl-renew-shop@production$`));
  });

  it.each([
    ['id', ['id']],
    ['a shell command', ['sh', '-c', 'touch owned']],
    ['a script of its own through the gate', [throughGate(['sh', '-c', 'cat "$1"', 'nexus-read', '/etc/shadow'])]],
    ['a program through the gate', [throughGate(['id'])]],
  ])('When the job key asks for %s, then it is refused with a clear message and exit 77, and nothing runs', (_what, command) => {
    const result = ssh(jobKey, [login(), ...command]);
    expect(result.code).toBe(77);
    expect(result.stderr).toContain('nexus job gate: refused');
    expect(result.stdout).toBe('');
  });

  it('When the job key asks for a login shell (with or without a terminal), then the gate refuses it', () => {
    const plain = ssh(jobKey, ['-T', login()], { stdin: 'id\n' });
    expect(plain.code).toBe(77);
    expect(plain.stderr).toContain('nexus job gate: refused a login shell');
    const terminal = ssh(jobKey, ['-tt', login()], { stdin: 'id\n' });
    // restrict: no terminal either; what runs is still the gate.
    expect(terminal.stderr).toContain('PTY allocation request failed');
    expect(terminal.code).not.toBe(0);
    expect(terminal.stdout).not.toMatch(/uid=/);
  });

  it('When the job key asks for sftp, then it gets no file access', () => {
    const sftp = spawnSync('sftp', ['-i', jobKey, '-P', String(sshd.port), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-b', '-', login()], {
      encoding: 'utf8',
      input: `get ${sshd.authorizedKeys} ${join(project, 'stolen')}\n`,
      timeout: 30_000,
    });
    expect(sftp.status).not.toBe(0);
    expect(() => readFileSync(join(project, 'stolen'))).toThrow();
  });

  it('When the job key asks for port forwarding where the server allows it, then it is refused (the operator key, for contrast, may)', () => {
    const forward = ['-W', `127.0.0.1:${sshd.port}`, login()];
    const operator = ssh(sshd.clientKey, forward, { stdin: '' });
    expect(operator.stdout).toMatch(/^SSH-2\.0-/);
    const job = ssh(jobKey, forward, { stdin: '' });
    expect(job.stdout).toBe('');
    expect(job.stderr).toMatch(/administratively prohibited|open failed|forwarding failed/);
  });

  it('When the job key comes from an address other than loopback, then sshd does not accept it (the operator key, for contrast, is)', () => {
    expect(ssh(sshd.clientKey, [login(), 'true'], { bind: '127.0.0.2' }).code).toBe(0);
    const job = ssh(jobKey, [login(), 'true'], { bind: '127.0.0.2' });
    expect(job.code).toBe(255);
    expect(job.stderr).toMatch(/Permission denied/);
  });

  it("When the job's own nexus runs with the key, then its calls pass the gate (it fails only where the test's CA is missing)", async () => {
    const copy = mkdtempSync(join(tmpdir(), 'nexus-job-copy-'));
    mkdirSync(join(copy, '.nexus'));
    writeFileSync(join(copy, 'nexus.yml'), readFileSync(join(root, 'jobs', 'ssl-renew', 'nexus.yml'), 'utf8').replace('/nexus/id_ed25519', jobKey));
    const renew = () => runNexus(['ssl', 'renew', '--force', '--target', 'production', '--dir', copy, '--json'], { env: { NEXUS_OPERATOR: 'scheduled-job@test' } });
    // Without a certificate there is nothing to renew: the first one is issued from the operator's machine.
    const nothing = await renew();
    expectExit(nothing, 1);
    expect(nothing.json<{ error: { code: string } }>().error.code).toBe('NO_CERTIFICATE');
    const certificates = join(root, 'certs', 'shop.example.com');
    mkdirSync(certificates, { recursive: true });
    selfSignedCertificate(certificates, ['shop.example.com']);
    const unreachable = await renew();
    expectExit(unreachable, 1);
    expect(unreachable.json<{ error: { code: string } }>().error.code).toBe('ACME_UNREACHABLE');
    // The lock was taken and released through the gate.
    const lock = await runNexus(['lock', 'status', '--target', 'production', '--dir', project, '--json']);
    expect(lock.json<{ locked: boolean }>()).toEqual({ locked: false });
  }, 60_000);
});
