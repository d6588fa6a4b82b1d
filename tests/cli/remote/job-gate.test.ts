import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile, writeFile } from '../../../cli/remote/files';
import { allowedCall, allowListFile, fits, slot } from '../../../cli/remote/job-allow-list';
import { GATE_REFUSED_STATUS, gatedKeyEntry, gateRequest, gateScript, sourceAddresses } from '../../../cli/remote/job-gate';
import { removeBackups } from '../../../cli/remote/pg-backup';
import { script, type RemoteCommand } from '../../../cli/remote/shell';

/** A gate in a scratch directory, its allow-list made of `calls`, run as sshd would run it. */
function gate(calls: Parameters<typeof allowListFile>[0]) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-gate-'));
  writeFileSync(join(dir, 'allowed-calls'), allowListFile(calls, 'test allow-list'));
  writeFileSync(join(dir, 'gate.sh'), gateScript(join(dir, 'allowed-calls'), 'ssl-renew (shop/production)'));
  const call = (request: string | undefined, stdin = '') => {
    const env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', HOME: dir };
    if (request !== undefined) env.SSH_ORIGINAL_COMMAND = request;
    const result = spawnSync('sh', [join(dir, 'gate.sh')], { env, input: stdin, encoding: 'utf8' });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  return { dir, call };
}

describe('the job gate (the forced command of a scheduled job key)', () => {
  const webroot = mkdtempSync(join(tmpdir(), 'nexus-gate-webroot-'));
  const token = (name: string) => `${webroot}/.well-known/acme-challenge/${name}`;
  const calls = [allowedCall(writeFile(token(slot('token')), '644')), allowedCall(readFile(token(slot('token')))), allowedCall(removeBackups('/srv/shop/backups', []), 'backup')];

  it('When the job makes an allowed call, then it runs with its arguments and its stdin, exactly', () => {
    const { call } = gate(calls);
    const written = call(gateRequest(writeFile(token('LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0'), '644')), 'LoqX.thumbprint\n');
    expect(written).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(token('LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0'), 'utf8')).toBe('LoqX.thumbprint\n');
    expect(call(gateRequest(readFile(token('LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0'))))).toEqual({ code: 0, stdout: 'LoqX.thumbprint\n', stderr: '' });
  });

  it('When a list argument takes any number of values, then none, one or several fit, each checked', () => {
    const { call } = gate([allowedCall(script('nexus-echo', 'shift; printf "%s\\n" "$@"', '/srv/shop/backups'), 'backup')]);
    const echo = (...ids: string[]) => call(gateRequest(script('nexus-echo', 'shift; printf "%s\\n" "$@"', '/srv/shop/backups', ...ids)));
    expect(echo()).toMatchObject({ code: 0 });
    expect(echo('20261202T031500Z-scheduled', '20261201T031500Z-manual')).toMatchObject({ code: 0, stdout: '20261202T031500Z-scheduled\n20261201T031500Z-manual\n' });
    expect(echo('20261202T031500Z-scheduled', '../../etc/passwd').code).toBe(GATE_REFUSED_STATUS);
  });

  const refusals: [string, string | undefined, RegExp][] = [
    ['a login shell', undefined, /refused a login shell/],
    ['a command of its own', 'id', /refused "id" \(not a nexus call\)/],
    ['sftp', '/usr/lib/openssh/sftp-server', /not a nexus call/],
    ['internal-sftp', 'internal-sftp', /not a nexus call/],
    ['a program through the gate', gateRequest(['id']), /refused "id" \(not an allowed call\)/],
    ['a shell through the gate', gateRequest(['sh', '-c', 'id']), /refused "sh" \(not an allowed call\)/],
    ['another script under an allowed name', gateRequest(['sh', '-c', 'id > /tmp/owned', 'nexus-write', token('abc'), '644']), /refused "nexus-write" \(not an allowed call\)/],
    ['a token that climbs out of the webroot', gateRequest(writeFile(token('../../../../root/.ssh/authorized_keys'), '644')), /not an allowed call/],
    ['another file mode', gateRequest(writeFile(token('abc'), '600')), /not an allowed call/],
    ['an extra argument', gateRequest([...writeFile(token('abc'), '644'), 'extra']), /not an allowed call/],
    ['a missing argument', gateRequest(writeFile(token('abc'), '644').slice(0, -1)), /not an allowed call/],
    ['a line break in a checked argument', gateRequest(writeFile(token('abc\ndef'), '644')), /not an allowed call/],
    ['shell text instead of base64', 'nexus-gate :c2g= $(id)', /a malformed call/],
    ['an empty argument list', 'nexus-gate ', /a malformed call/],
  ];

  it.each(refusals)('When the key is used for %s, then the gate refuses with exit 77 and a message, and runs nothing', (_what, request, message) => {
    const { call } = gate(calls);
    const result = call(request, 'payload');
    expect(result.code).toBe(GATE_REFUSED_STATUS);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^nexus job gate: refused .*the key of the job ssl-renew \(shop\/production\) runs only the nexus calls listed in /);
    expect(existsSync('/tmp/owned')).toBe(false);
    expect(existsSync(token('abc'))).toBe(false);
  });

  it('When the gate has no allow-list, then it refuses everything', () => {
    const { dir, call } = gate(calls);
    writeFileSync(join(dir, 'allowed-calls'), '');
    expect(call(gateRequest(readFile(token('abc')))).code).toBe(GATE_REFUSED_STATUS);
  });

  it('When the allow-list is checked here, then it agrees with the gate: exact arguments, placeholders whole, lists of any length', () => {
    const write = allowedCall(writeFile(token(slot('token')), '644'));
    expect(fits(writeFile(token('abc_-1'), '644'), write)).toBe(true);
    expect(fits(writeFile(token('a/b'), '644'), write)).toBe(false);
    expect(fits(writeFile(token('abc'), '600'), write)).toBe(false);
    const remove = allowedCall(removeBackups('/srv/shop/backups', []), 'backup');
    expect(fits(removeBackups('/srv/shop/backups', []), remove)).toBe(true);
    expect(fits(removeBackups('/srv/shop/backups', ['20261202T031500Z-scheduled', '20261202T031500Z-pre-migration-r1']), remove)).toBe(true);
    expect(fits(removeBackups('/srv/shop/backups', ['x']), remove)).toBe(false);
    expect(() => allowedCall(['echo', '{{nothing}}'])).toThrow(/unknown placeholder/);
  });

  it('When the key entry is written, then it is restricted, bound to the gate and to the given addresses; anything that could break out of the entry is refused', () => {
    expect(gatedKeyEntry('ssh-ed25519 AAAAkey nexus-job-ssl-renew-shop@production\n', '/srv/shop/jobs/ssl-renew/gate.sh', ['127.0.0.1', '::1'])).toBe(
      'restrict,command="sh /srv/shop/jobs/ssl-renew/gate.sh",from="127.0.0.1,::1" ssh-ed25519 AAAAkey nexus-job-ssl-renew-shop@production',
    );
    expect(() => gatedKeyEntry('ssh-ed25519 AAAA c', '/srv/x"y/gate.sh', ['127.0.0.1'])).toThrow(/cannot be written/);
    expect(() => gatedKeyEntry('ssh-ed25519 AAAA c', '/srv/gate.sh', ['10.0.0.1",command="sh'])).toThrow(/cannot be a from= address/);
    expect(() => gatedKeyEntry('ssh-ed25519 AAAA c', '/srv/gate.sh', [])).toThrow(/no address/);
  });

  it('When the first host is asked where it reaches another host from, then it names its source address', () => {
    const command: RemoteCommand = sourceAddresses('127.0.0.1');
    const result = spawnSync(command[0] as string, command.slice(1), { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')).toContain('127.0.0.1');
  });
});
