import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    expect(init.json()).toEqual({ file: join(dir, 'nexus.yml'), target: 'production', hosts: ['203.0.113.10'], domains: ['shop.example.com'] });
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

  it('When an answer is invalid, then the key path is named and nothing is written', async () => {
    const result = await runNexus(['init', '--dir', dir, '--host', '203.0.113.10', '--host-key', 'not-a-pin', '--domain', 'Shop.Example.com']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('targets.production.hosts[0].host_key');
    expect(result.stderr).toContain('targets.production.domains[0]');
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

  it('When a secret is missing, then config show exits 3 and says where secrets come from', async () => {
    expect((await runNexus(['init', '--dir', dir, ...ANSWERS])).code).toBe(0);
    const result = await runNexus(['config', 'show', '--target', 'production', '--dir', dir, '--json']);
    expect(result.code).toBe(3);
    expect(result.json()).toEqual({
      error: {
        code: 'DEPLOY_CONFIG',
        message: 'Missing secrets: JWT_SECRET, POSTGRES_PASSWORD.',
        exitCode: 3,
        suggestions: ['export them in the environment (CI) or add KEY=value lines to .nexus/secrets (never to nexus.yml)'],
      },
    });
  });
});
