import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { parse } from 'yaml';
import { runNexus } from '../../support/cli';
import { fillSecret } from '../../support/deploy-project';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';
const ANSWERS = ['--host', '203.0.113.10', '--host-key', PIN, '--domain', 'shop.example.com', '--mail', 'disabled', '--payment', 'simulated', '--tls-email', 'ops@example.com'];
const RANDOM = /^[0-9a-f]{64}$/;

describe('nexus init and nexus config show', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nexus-init-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const secretsFile = () => join(dir, '.nexus', 'secrets');
  const secretValues = () => parseEnv(readFileSync(secretsFile(), 'utf8'));

  it('When every answer is a flag, then nexus.yml and a private, git-ignored .nexus/secrets with generated values are written, and config show needs nothing more', async () => {
    const init = await runNexus(['init', '--dir', dir, ...ANSWERS, '--json']);
    expect(init.code).toBe(0);
    expect(init.json()).toEqual({
      file: join(dir, 'nexus.yml'),
      target: 'production',
      hosts: ['203.0.113.10'],
      domains: ['shop.example.com'],
      secretsFile: secretsFile(),
      secrets: [
        { name: 'JWT_SECRET', reason: 'listed in app.secrets', set: true, status: 'generated' },
        { name: 'POSTGRES_PASSWORD', reason: 'database: host (the password of PostgreSQL on the host)', set: true, status: 'generated' },
        { name: 'BACKUP_SIGNING_KEY', reason: 'signs database backups (nexus keeps it from the API; keep a copy away from the backups)', set: true, status: 'generated' },
      ],
      gitignore: join(dir, '.gitignore'),
    });
    const text = readFileSync(join(dir, 'nexus.yml'), 'utf8');
    expect(text).toMatch(/^# nexus\.yml: where and how `nexus` deploys the API\./);
    expect(text).toContain(`host_key: "${PIN}"`);
    // The tls: and dns: blocks with their defaults visible, the app's production settings named.
    const { app, targets } = parse(text) as { app: { env: object }; targets: { production: { tls: object; dns: object } } };
    expect(app.env).toEqual({ MAIL_TRANSPORT: 'disabled', PAYMENT_PROVIDER: 'simulated' });
    expect(targets.production.tls).toEqual({ email: 'ops@example.com', ca: 'letsencrypt', challenge: 'http-01' });
    expect(targets.production.dns).toEqual({ resolvers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'], system: true });

    expect(statSync(join(dir, '.nexus')).mode & 0o777).toBe(0o700);
    expect(statSync(secretsFile()).mode & 0o777).toBe(0o600);
    const values = secretValues();
    expect(Object.keys(values).sort()).toEqual(['BACKUP_SIGNING_KEY', 'JWT_SECRET', 'POSTGRES_PASSWORD']);
    for (const value of Object.values(values)) expect(value).toMatch(RANDOM);
    expect(new Set(Object.values(values)).size).toBe(3);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('# nexus: secrets, local backups and dev state\n.nexus/\n');
    expect(init.stdout + init.stderr).not.toContain(values.JWT_SECRET);

    const shown = await runNexus(['config', 'show', '--target', 'production', '--dir', dir, '--json']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain(values.JWT_SECRET);
    expect(shown.json()).toMatchObject({ target: 'production', secrets: { JWT_SECRET: '[REDACTED]', POSTGRES_PASSWORD: '[REDACTED]' }, missingSecrets: [], config: { domains: ['shop.example.com'], root: '/srv/nexus' } });
  });

  it('When an answer is missing and there is no terminal, then it fails naming the flag and writes nothing', async () => {
    const result = await runNexus(['init', '--dir', dir, '--host', '203.0.113.10', '--host-key', PIN]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Domain name(s), comma-separated: not given, and there is no terminal to ask.');
    expect(result.stderr).toContain('pass --domain shop.example.com');
    const without = (flag: string) => {
      const index = ANSWERS.indexOf(flag);
      return [...ANSWERS.slice(0, index), ...ANSWERS.slice(index + 2)];
    };
    for (const [flag, hint] of [
      ['--mail', 'pass --mail smtp (or --mail disabled)'],
      ['--payment', 'pass --payment simulated'],
      ['--tls-email', 'pass --tls-email ops@example.com'],
    ] as const) {
      const missing = await runNexus(['init', '--dir', dir, ...without(flag)]);
      expect({ flag, code: missing.code, hint: missing.stderr.includes(hint), noTerminal: missing.stderr.includes('not given, and there is no terminal to ask') }).toEqual({ flag, code: 2, hint: true, noTerminal: true });
    }
    expect(existsSync(join(dir, 'nexus.yml'))).toBe(false);
    expect(existsSync(join(dir, '.nexus'))).toBe(false);
  });

  it('When an answer is invalid, then it is a usage error naming the flag (with the ssh-keygen hint for a host key) and nothing is written', async () => {
    const badKey = await runNexus(['init', '--dir', dir, ...ANSWERS.map((value) => (value === PIN ? 'not-a-pin' : value))]);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('Error (USAGE): --host-key: expected a SHA256 fingerprint such as SHA256:7RCj… (on the host, `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it); not "not-a-pin".');
    const badDomain = await runNexus(['init', '--dir', dir, ...ANSWERS.map((value) => (value === 'shop.example.com' ? 'Shop.Example.com' : value))]);
    expect(badDomain.code).toBe(2);
    expect(badDomain.stderr).toContain('--domain: expected a lower-case domain name such as shop.example.com; not "Shop.Example.com".');
    // `log` would write reset links to the logs: production refuses it, so init does not offer it.
    const logMail = await runNexus(['init', '--dir', dir, ...ANSWERS.map((value) => (value === 'disabled' ? 'log' : value))]);
    expect(logMail.code).toBe(2);
    expect(logMail.stderr).toContain('--mail');
    expect(logMail.stderr).toMatch(/smtp, disabled/);
    const badEmail = await runNexus(['init', '--dir', dir, ...ANSWERS.map((value) => (value === 'ops@example.com' ? 'ops-at-example' : value))]);
    expect(badEmail.code).toBe(2);
    expect(badEmail.stderr).toContain('--tls-email: expected an email address such as ops@example.com; not "ops-at-example".');
    expect(existsSync(join(dir, 'nexus.yml'))).toBe(false);
    expect(existsSync(join(dir, '.nexus'))).toBe(false);
  });

  it('When nexus.yml exists, then it is kept unless --force; --force never changes a value in .nexus/secrets', async () => {
    writeFileSync(join(dir, 'nexus.yml'), 'mine\n');
    const refused = await runNexus(['init', '--dir', dir, ...ANSWERS]);
    expect(refused.code).toBe(6);
    expect(readFileSync(join(dir, 'nexus.yml'), 'utf8')).toBe('mine\n');
    const forced = await runNexus(['init', '--dir', dir, ...ANSWERS, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'nexus.yml'), 'utf8')).toContain('shop.example.com');
    const secrets = readFileSync(secretsFile(), 'utf8');
    const again = await runNexus(['init', '--dir', dir, ...ANSWERS, '--force', '--json']);
    expect(again.code).toBe(0);
    expect(readFileSync(secretsFile(), 'utf8')).toBe(secrets);
    expect(again.json<{ secrets: { status: string }[]; gitignore?: string }>()).toMatchObject({ secrets: [{ status: 'kept' }, { status: 'kept' }, { status: 'kept' }] });
    expect(again.json<{ gitignore?: string }>().gitignore).toBeUndefined();
  });

  it('When .nexus/secrets and .gitignore exist, then existing values are kept, only the missing ones are added, a secret the environment sets is left to it, and .gitignore gets one entry', async () => {
    mkdirSync(join(dir, '.nexus'), { mode: 0o755 });
    chmodSync(join(dir, '.nexus'), 0o755);
    writeFileSync(secretsFile(), '# mine\nJWT_SECRET=my-own-jwt-secret-kept-as-it-is', { mode: 0o600 });
    writeFileSync(join(dir, '.gitignore'), 'node_modules/');
    const init = await runNexus(['init', '--dir', dir, ...ANSWERS], { env: { BACKUP_SIGNING_KEY: 'exported-by-ci' } });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(
      [
        '  JWT_SECRET          already set             listed in app.secrets',
        '  POSTGRES_PASSWORD   generated               database: host (the password of PostgreSQL on the host)',
        '  BACKUP_SIGNING_KEY  set in the environment  signs database backups',
      ].join('\n'),
    );
    const text = readFileSync(secretsFile(), 'utf8');
    expect(text.startsWith('# mine\nJWT_SECRET=my-own-jwt-secret-kept-as-it-is\n# database: host')).toBe(true);
    expect(Object.keys(secretValues()).sort()).toEqual(['JWT_SECRET', 'POSTGRES_PASSWORD']);
    expect(statSync(secretsFile()).mode & 0o777).toBe(0o600);
    // An existing .nexus/ keeps its mode (nexus dev may have opened it for the embedded PostgreSQL's user).
    expect(statSync(join(dir, '.nexus')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n# nexus: secrets, local backups and dev state\n.nexus/\n');
  });

  it('When mail is smtp and the services are external, then their URLs are commented lines to fill in, named as missing until filled in as the docs say', async () => {
    const answers = ANSWERS.map((value) => (value === 'disabled' ? 'smtp' : value));
    const init = await runNexus(['init', '--dir', dir, ...answers, '--database', 'external', '--redis', 'external']);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`To fill in: uncomment the DATABASE_URL, REDIS_URL, SMTP_URL lines in ${secretsFile()} and put the real URLs in.`);
    const text = readFileSync(secretsFile(), 'utf8');
    expect(text).toContain('# DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE\n');
    expect(text).toContain('# SMTP_URL=smtps://USER:PASSWORD@mail.example.com:465\n');
    expect(Object.keys(secretValues()).sort()).toEqual(['BACKUP_SIGNING_KEY', 'JWT_SECRET']);

    const before = await runNexus(['config', 'show', '--target', 'production', '--dir', dir, '--json']);
    expect(before.json()).toMatchObject({ missingSecrets: ['DATABASE_URL', 'REDIS_URL', 'SMTP_URL'] });
    const deploy = await runNexus(['deploy', '--target', 'production', '--dir', dir, '--json']);
    expect(deploy.code).toBe(3);
    expect(deploy.json<{ error: { message: string } }>().error.message).toBe('Missing secrets: DATABASE_URL, REDIS_URL, SMTP_URL.');

    fillSecret(dir, 'DATABASE_URL', 'postgres://shop:pw@db.internal:5432/shop');
    fillSecret(dir, 'REDIS_URL', 'redis://:pw@cache.internal:6379/0');
    fillSecret(dir, 'SMTP_URL', 'smtps://shop:pw@mail.example.com:465');
    const after = await runNexus(['config', 'show', '--target', 'production', '--dir', dir, '--json']);
    expect(after.json()).toMatchObject({ missingSecrets: [], secrets: { SMTP_URL: '[REDACTED]' } });
    // Run again, it adds nothing: the filled-in lines count as set.
    const again = await runNexus(['init', '--dir', dir, ...answers, '--database', 'external', '--redis', 'external', '--force']);
    expect(again.code).toBe(0);
    expect(readFileSync(secretsFile(), 'utf8').match(/SMTP_URL=/g)).toHaveLength(1);
  });

  it('When an existing .nexus/secrets can be read by others, then init refuses with the chmod to run and writes nothing', async () => {
    mkdirSync(join(dir, '.nexus'));
    writeFileSync(secretsFile(), 'JWT_SECRET=readable\n');
    chmodSync(secretsFile(), 0o644);
    const result = await runNexus(['init', '--dir', dir, ...ANSWERS]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`Error (SECRETS_FILE_MODE): ${secretsFile()} is readable by others (mode 644)`);
    expect(result.stderr).toContain(`→ chmod 600 ${secretsFile()}`);
    expect(result.stderr).not.toContain('readable\n');
    expect(existsSync(join(dir, 'nexus.yml'))).toBe(false);
    expect(readFileSync(secretsFile(), 'utf8')).toBe('JWT_SECRET=readable\n');
  });
});
