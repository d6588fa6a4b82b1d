import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNexus } from '../../support/cli';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';
const ANSWERS = ['--host', '203.0.113.10', '--host-key', PIN, '--domain', 'shop.example.com'];

describe('nexus init and nexus config show', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nexus-init-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('When every answer is a flag, then a commented nexus.yml is written that config show resolves', async () => {
    const init = await runNexus(['init', '--dir', dir, ...ANSWERS, '--json']);
    expect(init.code).toBe(0);
    expect(init.json()).toEqual({
      file: join(dir, 'nexus.yml'),
      target: 'production',
      hosts: ['203.0.113.10'],
      domains: ['shop.example.com'],
      secrets: [
        { name: 'JWT_SECRET', reason: 'listed in app.secrets', set: false },
        { name: 'POSTGRES_PASSWORD', reason: 'database: host (the password of PostgreSQL on the host)', set: false },
      ],
    });
    const text = readFileSync(join(dir, 'nexus.yml'), 'utf8');
    expect(text).toMatch(/^# nexus\.yml: where and how `nexus` deploys the API\./);
    expect(text).toContain(`host_key: "${PIN}"`);

    const shown = await runNexus(['config', 'show', '--target', 'production', '--dir', dir, '--json'], { env: { JWT_SECRET: 'do-not-print-me', POSTGRES_PASSWORD: 'do-not-print-me-either' } });
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain('do-not-print-me');
    expect(shown.json()).toMatchObject({ target: 'production', secrets: { JWT_SECRET: '[REDACTED]' }, config: { domains: ['shop.example.com'], root: '/srv/nexus' } });
  });

  it('When an answer is missing and there is no terminal, then it fails naming the flag and writes nothing', async () => {
    const result = await runNexus(['init', '--dir', dir, '--host', '203.0.113.10', '--host-key', PIN]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Domain name(s), comma-separated: not given, and there is no terminal to ask.');
    expect(result.stderr).toContain('pass --domain shop.example.com');
    expect(existsSync(join(dir, 'nexus.yml'))).toBe(false);
  });

  it('When an answer is invalid, then it is a usage error naming the flag (with the ssh-keygen hint for a host key) and nothing is written', async () => {
    const badKey = await runNexus(['init', '--dir', dir, '--host', '203.0.113.10', '--host-key', 'not-a-pin', '--domain', 'shop.example.com']);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('Error (USAGE): --host-key: expected a SHA256 fingerprint such as SHA256:7RCj… (on the host, `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it); not "not-a-pin".');
    const badDomain = await runNexus(['init', '--dir', dir, '--host', '203.0.113.10', '--host-key', PIN, '--domain', 'Shop.Example.com']);
    expect(badDomain.code).toBe(2);
    expect(badDomain.stderr).toContain('--domain: expected a lower-case domain name such as shop.example.com; not "Shop.Example.com".');
    expect(existsSync(join(dir, 'nexus.yml'))).toBe(false);
  });

  it('When nexus.yml exists, then it is kept unless --force', async () => {
    writeFileSync(join(dir, 'nexus.yml'), 'mine\n');
    const refused = await runNexus(['init', '--dir', dir, ...ANSWERS]);
    expect(refused.code).toBe(6);
    expect(readFileSync(join(dir, 'nexus.yml'), 'utf8')).toBe('mine\n');
    const forced = await runNexus(['init', '--dir', dir, ...ANSWERS, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'nexus.yml'), 'utf8')).toContain('shop.example.com');
  });

  it('When secrets are missing, then init names them with a line that sets each, and config show marks each missing one until it is set', async () => {
    const init = await runNexus(['init', '--dir', dir, ...ANSWERS], { env: { JWT_SECRET: 'already-exported' } });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('  JWT_SECRET         listed in app.secrets: already set\n  POSTGRES_PASSWORD  database: host (the password of PostgreSQL on the host)\n');
    const setLines = init.stdout.split('\n').filter((line) => line.startsWith('  (umask 077'));
    expect(setLines).toEqual([`  (umask 077 && mkdir -p ${dir}/.nexus && echo "POSTGRES_PASSWORD=$(openssl rand -hex 32)" >> ${dir}/.nexus/secrets)`]);

    const before = await runNexus(['config', 'show', '--target', 'production', '--dir', dir, '--json']);
    expect(before.code).toBe(0);
    expect(before.json()).toMatchObject({ secrets: { JWT_SECRET: '[MISSING]', POSTGRES_PASSWORD: '[MISSING]' }, missingSecrets: ['JWT_SECRET', 'POSTGRES_PASSWORD'] });
    expect(before.stderr).toContain('Missing secrets: JWT_SECRET, POSTGRES_PASSWORD.');
    const text = await runNexus(['config', 'show', '--target', 'production', '--dir', dir], { env: { JWT_SECRET: 'do-not-print-me' } });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('secrets:\n  JWT_SECRET: "[REDACTED]" # listed in app.secrets\n  POSTGRES_PASSWORD: "[MISSING]" # database: host');

    // The printed line, run as printed, sets the secret in a private file.
    execFileSync('bash', ['-c', setLines.join('\n')]);
    expect(statSync(join(dir, '.nexus', 'secrets')).mode & 0o777).toBe(0o600);
    const after = await runNexus(['config', 'show', '--target', 'production', '--dir', dir, '--json'], { env: { JWT_SECRET: 'do-not-print-me' } });
    expect(after.json()).toMatchObject({ secrets: { JWT_SECRET: '[REDACTED]', POSTGRES_PASSWORD: '[REDACTED]' }, missingSecrets: [] });
    expect(after.stdout + after.stderr).not.toContain(readFileSync(join(dir, '.nexus', 'secrets'), 'utf8').split('=')[1]?.trim());
  });
});
