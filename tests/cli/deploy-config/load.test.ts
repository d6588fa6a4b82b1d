import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { assertAppConfig } from '../../../cli/deploy-config/app-settings';
import { DeployConfigError, loadDeployTarget } from '../../../cli/deploy-config/load';
import { NexusError } from '../../../cli/errors';
import { renderNexusYml } from '../../../cli/deploy-config/template';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-deploy-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const BASE = renderNexusYml({
  appName: 'shop',
  target: 'production',
  hosts: [{ address: '203.0.113.10', hostKey: PIN }],
  user: 'deploy',
  port: 22,
  key: '~/.ssh/id_ed25519',
  domains: ['shop.example.com', 'www.shop.example.com'],
  database: 'host',
  redis: 'host',
  mailTransport: 'disabled',
  paymentProvider: 'simulated',
  tlsEmail: 'ops@example.com',
});

/** The YAML with one key's line changed (comments that mention `key: value` are left alone). */
const setKey = (yaml: string, key: string, value: string) => yaml.replace(new RegExp(`^(\\s+)${key}: .*$`, 'm'), `$1${key}: ${value}`);

function problemOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DeployConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a DeployConfigError');
}

describe('nexus.yml loading', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const make = (files: Record<string, string>) => {
    const dir = project(files);
    dirs.push(dir);
    return dir;
  };

  it('When the template is rendered with answers, then it loads with defaults filled in', () => {
    const loaded = loadDeployTarget(make({ 'nexus.yml': BASE }), 'production', { JWT_SECRET: 's3cret', POSTGRES_PASSWORD: 'pg', HOME: '/home/ops' });
    expect(loaded.app).toEqual({ name: 'shop', port: 8000, secrets: ['JWT_SECRET'], env: { MAIL_TRANSPORT: 'disabled', PAYMENT_PROVIDER: 'simulated' } });
    expect(loaded.target).toMatchObject({
      hosts: [{ address: '203.0.113.10', host_key: PIN }],
      ssh: { user: 'deploy', port: 22, key: '~/.ssh/id_ed25519', connect_timeout: 15 },
      domains: ['shop.example.com', 'www.shop.example.com'],
      database: 'host',
      redis: 'host',
      root: '/srv/shop',
      keep_releases: 5,
      health: { path: '/health/readiness/', timeout: 60 },
      lock_ttl: 1800,
      env: { ALLOWED_HOSTS: 'shop.example.com,www.shop.example.com' },
      // The blocks init writes with their defaults visible (the resolvers are the schema's default).
      tls: { email: 'ops@example.com', ca: 'letsencrypt', challenge: 'http-01' },
      dns: { resolvers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'], system: true },
    });
    expect(loaded.keyPath).toBe('/home/ops/.ssh/id_ed25519');
  });

  it('When nexus.<target>.yml exists, then it is merged over nexus.yml for that target only', () => {
    const dir = make({
      'nexus.yml': BASE,
      'nexus.production.yml': 'targets:\n  production:\n    keep_releases: 9\n    domains: [api.example.com]\n    env:\n      LOG_LEVEL: debug\n',
    });
    const loaded = loadDeployTarget(dir, 'production', { JWT_SECRET: 'x', POSTGRES_PASSWORD: 'pg' });
    expect(loaded.target.keep_releases).toBe(9);
    expect(loaded.target.domains).toEqual(['api.example.com']);
    expect(loaded.target.env).toEqual({ ALLOWED_HOSTS: 'shop.example.com,www.shop.example.com', LOG_LEVEL: 'debug' });
    expect(loaded.files).toEqual([join(dir, 'nexus.yml'), join(dir, 'nexus.production.yml')]);
  });

  it('When values are wrong, then every problem names its key path', () => {
    const broken = setKey(BASE, 'database', 'cloud').replace(PIN, 'abc').replace('port: 22', 'port: 70000');
    const message = problemOf(() => loadDeployTarget(make({ 'nexus.yml': broken }), 'production', { JWT_SECRET: 'x' }));
    expect(message).toContain('targets.production.hosts[0].host_key: expected a SHA256 fingerprint');
    expect(message).toContain('targets.production.ssh.port:');
    expect(message).toContain('targets.production.database:');
  });

  it('When the first (canonical) domain is a wildcard, then it is refused with the reason; a wildcard after a concrete name loads', () => {
    const first = BASE.replace('- shop.example.com', "- '*.example.com'");
    expect(problemOf(() => loadDeployTarget(make({ 'nexus.yml': first }), 'production', { JWT_SECRET: 'x', POSTGRES_PASSWORD: 'p' }))).toContain(
      'targets.production.domains[0]: the first domain is the canonical name (HTTP and the other names redirect to it), so it cannot be a wildcard',
    );
    const after = BASE.replace('- www.shop.example.com', "- '*.shop.example.com'");
    expect(loadDeployTarget(make({ 'nexus.yml': after }), 'production', { JWT_SECRET: 'x', POSTGRES_PASSWORD: 'p' }).target.domains).toEqual(['shop.example.com', '*.shop.example.com']);
  });

  it('When an unknown key is present (a typo), then it is refused by name', () => {
    const message = problemOf(() => loadDeployTarget(make({ 'nexus.yml': BASE.replace('keep_releases: 5', 'keep_release: 5') }), 'production', { JWT_SECRET: 'x' }));
    expect(message).toMatch(/targets\.production: Unrecognized key: "keep_release"/);
  });

  it('When the YAML does not parse, then the line is named', () => {
    const message = problemOf(() => loadDeployTarget(make({ 'nexus.yml': 'app:\n  name: [unclosed\n' }), 'production', {}));
    expect(message).toMatch(/nexus\.yml \(line \d+, column \d+\)/);
  });

  it('When a key is duplicated, then it is refused rather than silently overwritten', () => {
    const message = problemOf(() => loadDeployTarget(make({ 'nexus.yml': 'app:\n  name: a\n  name: b\ntargets: {}\n' }), 'production', {}));
    expect(message).toMatch(/Map keys must be unique/);
  });

  it('When the target is unknown, then the defined ones are listed', () => {
    expect(problemOf(() => loadDeployTarget(make({ 'nexus.yml': BASE }), 'staging', { JWT_SECRET: 'x' }))).toBe('Unknown target "staging": nexus.yml defines production.');
  });

  it('When there is no nexus.yml, then the error says how to make one', () => {
    expect(problemOf(() => loadDeployTarget(make({}), 'production', {}))).toMatch(/^No nexus\.yml in /);
  });

  describe('several hosts', () => {
    const SECOND_PIN = 'SHA256:8RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';
    const twoHosts = (yaml: string) => yaml.replace(/(hosts:\n(\s+)- address: "203\.0\.113\.10"\n\s+host_key: \S+\n)/, `$1$2- address: "203.0.113.11"\n$2  host_key: "${SECOND_PIN}"\n`);
    const shared = (yaml: string) => setKey(setKey(yaml, 'database', 'external'), 'redis', 'external').replace('MAIL_TRANSPORT: disabled', 'MAIL_TRANSPORT: disabled\n    MEDIA_STORAGE: s3\n    MEDIA_S3_BUCKET: shop-media');
    const SECRETS = { JWT_SECRET: 'x', DATABASE_URL: 'postgres://db/shop', REDIS_URL: 'redis://cache:6379/0', MEDIA_S3_ACCESS_KEY_ID: 'key', MEDIA_S3_SECRET_ACCESS_KEY: 'secret' };

    it('When a second host is listed with the defaults (PostgreSQL, Redis and media on the host), then each is refused by key with its fix, and nothing loads', () => {
      const message = problemOf(() => loadDeployTarget(make({ 'nexus.yml': twoHosts(BASE) }), 'production', { JWT_SECRET: 'x', POSTGRES_PASSWORD: 'pg' }));
      expect(message).toContain('cannot work as it is:');
      expect(message).toContain('targets.production.database: `host` gives each of the 2 hosts its own PostgreSQL (split data); set `database: external` and the DATABASE_URL secret');
      expect(message).toContain('targets.production.redis: `host` gives each of the 2 hosts its own Redis');
      expect(message).toContain('set `redis: external` and the REDIS_URL secret');
      expect(message).toContain('targets.production.env.MEDIA_STORAGE: `local` stores each upload on the host that took it');
      expect(message).toContain('set MEDIA_STORAGE: s3');
    });

    it.each([
      ['database', (yaml: string) => setKey(yaml, 'database', 'host'), 'targets.production.database'],
      ['redis', (yaml: string) => setKey(yaml, 'redis', 'host'), 'targets.production.redis'],
      ['media', (yaml: string) => yaml.replace('MEDIA_STORAGE: s3\n', 'MEDIA_STORAGE: local\n'), 'targets.production.env.MEDIA_STORAGE'],
    ])('When only the %s stays on the host, then that key alone is refused', (_name, change, key) => {
      const message = problemOf(() => loadDeployTarget(make({ 'nexus.yml': change(shared(twoHosts(BASE))) }), 'production', { ...SECRETS, POSTGRES_PASSWORD: 'pg' }));
      expect(message.split('\n').filter((line) => line.startsWith('  targets.'))).toEqual([expect.stringMatching(new RegExp(`^  ${key.replace(/\./g, '\\.')}: `))]);
    });

    it("When every shared service is external and media is in S3, then two hosts load, and the media bucket's keys are required secrets", () => {
      const dir = make({ 'nexus.yml': shared(twoHosts(BASE)) });
      expect(loadDeployTarget(dir, 'production', SECRETS).target.hosts.map((host) => host.address)).toEqual(['203.0.113.10', '203.0.113.11']);
      expect(problemOf(() => loadDeployTarget(dir, 'production', { ...SECRETS, MEDIA_S3_SECRET_ACCESS_KEY: '' }))).toBe('Missing secret: MEDIA_S3_SECRET_ACCESS_KEY.');
    });

    it('When one host keeps the defaults, then nothing is refused', () => {
      expect(loadDeployTarget(make({ 'nexus.yml': BASE }), 'production', { JWT_SECRET: 'x', POSTGRES_PASSWORD: 'pg' }).target).toMatchObject({ database: 'host', redis: 'host' });
    });

    it('When the nginx load balancer is one of the app hosts, then it is refused; on a host of its own it loads with passive health-check defaults', () => {
      const withLb = (address: string) => `${shared(twoHosts(BASE))}\n`.replace(/^(\s+)domains:/m, `$1load_balancer:\n$1  type: nginx\n$1  host:\n$1    address: ${address}\n$1    host_key: ${PIN}\n$1domains:`);
      expect(problemOf(() => loadDeployTarget(make({ 'nexus.yml': withLb('203.0.113.11') }), 'production', SECRETS))).toContain(
        'targets.production.load_balancer.host.address: 203.0.113.11 is also an app host; the load balancer needs a host of its own',
      );
      const loaded = loadDeployTarget(make({ 'nexus.yml': withLb('203.0.113.20') }), 'production', SECRETS);
      expect(loaded.target.load_balancer).toEqual({ type: 'nginx', host: { address: '203.0.113.20', host_key: PIN }, max_fails: 2, fail_timeout: 10 });
    });

    it('When an external load balancer names no source addresses, then the key is refused', () => {
      const external = `${shared(twoHosts(BASE))}`.replace(/^(\s+)domains:/m, '$1load_balancer:\n$1  type: external\n$1  trusted: []\n$1domains:');
      expect(problemOf(() => loadDeployTarget(make({ 'nexus.yml': external }), 'production', SECRETS))).toContain("targets.production.load_balancer.trusted: list the load balancer's source addresses or ranges");
    });
  });

  describe('secrets', () => {
    it('When a secret is missing, then it is named (and only its name)', () => {
      expect(problemOf(() => loadDeployTarget(make({ 'nexus.yml': BASE }), 'production', {}))).toBe('Missing secrets: JWT_SECRET, POSTGRES_PASSWORD.');
    });

    it('When services are external, then DATABASE_URL and REDIS_URL become required secrets', () => {
      const external = setKey(setKey(BASE, 'database', 'external'), 'redis', 'external');
      expect(problemOf(() => loadDeployTarget(make({ 'nexus.yml': external }), 'production', { JWT_SECRET: 'x' }))).toBe('Missing secrets: DATABASE_URL, REDIS_URL.');
    });

    it('When .nexus/secrets holds them, then they load, the environment wins, and no value ever prints', () => {
      const dir = make({ 'nexus.yml': BASE, '.nexus/secrets': '# comment\nJWT_SECRET="from-file value"\nPOSTGRES_PASSWORD=pg\n' });
      chmodSync(join(dir, '.nexus', 'secrets'), 0o600);
      const fromFile = loadDeployTarget(dir, 'production', {});
      expect(fromFile.secrets.get('JWT_SECRET')?.reveal()).toBe('from-file value');
      const fromEnv = loadDeployTarget(dir, 'production', { JWT_SECRET: 'from-env', POSTGRES_PASSWORD: 'pg' });
      const secret = fromEnv.secrets.get('JWT_SECRET');
      expect(secret?.reveal()).toBe('from-env');
      expect(`${String(secret)} ${JSON.stringify({ secret })} ${inspect(secret)}`).toBe('[REDACTED] {"secret":"[REDACTED]"} [REDACTED]');
    });

    it('When the mail transport is smtp, then SMTP_URL is a required secret', () => {
      const smtp = BASE.replace('MAIL_TRANSPORT: disabled', 'MAIL_TRANSPORT: smtp');
      expect(problemOf(() => loadDeployTarget(make({ 'nexus.yml': smtp }), 'production', { JWT_SECRET: 'x', POSTGRES_PASSWORD: 'pg' }))).toBe('Missing secret: SMTP_URL.');
    });

    it.each(['640', '604', '644'])('When .nexus/secrets has mode %s (readable by others), then it is refused with the chmod to run, even when the environment sets everything', (mode) => {
      const dir = make({ 'nexus.yml': BASE, '.nexus/secrets': 'JWT_SECRET=from-file\n' });
      const file = join(dir, '.nexus', 'secrets');
      chmodSync(file, parseInt(mode, 8));
      let error: unknown;
      try {
        loadDeployTarget(dir, 'production', { JWT_SECRET: 'x', POSTGRES_PASSWORD: 'pg' });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(NexusError);
      expect(error).toMatchObject({ code: 'SECRETS_FILE_MODE', exitCode: 3, suggestions: [`chmod 600 ${file}`] });
      expect((error as Error).message).toBe(`${file} is readable by others (mode ${mode}); nexus reads secrets only from a file only its owner can read.`);
      expect((error as Error).message).not.toContain('from-file');
      chmodSync(file, 0o600);
      expect(loadDeployTarget(dir, 'production', { POSTGRES_PASSWORD: 'pg' }).secrets.get('JWT_SECRET')?.reveal()).toBe('from-file');
    });

    it('When nexus.yml tries to carry a secret value, then it is refused (only names belong there)', () => {
      const message = problemOf(() => loadDeployTarget(make({ 'nexus.yml': BASE.replace('    - JWT_SECRET', '    - JWT_SECRET: hunter2') }), 'production', {}));
      expect(message).toContain('app.secrets[0]:');
      expect(message).not.toContain('hunter2');
    });
  });

  describe("the app's production settings (the API's own schema, applied to the env a deploy gives the container)", () => {
    const strong = { JWT_SECRET: 'f3a9c0d1e2b4a5968778695a4b3c2d1e0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c', POSTGRES_PASSWORD: 'pg' };

    it('When mail and payment are set by init and the secrets are strong, then nothing is reported', () => {
      expect(() => assertAppConfig(loadDeployTarget(make({ 'nexus.yml': BASE }), 'production', strong))).not.toThrow();
    });

    it('When settings are missing or invalid, then each is named with where to set it, and no secret value prints', () => {
      const yml = BASE.replace(/^ {4}MAIL_TRANSPORT: .*$/m, '    LOG_LEVEL: loud').replace(/^ {4}PAYMENT_PROVIDER: .*\n/m, '');
      const weak = 'j'.repeat(40);
      const message = problemOf(() => assertAppConfig(loadDeployTarget(make({ 'nexus.yml': yml }), 'production', { ...strong, JWT_SECRET: weak })));
      expect(message).toMatch(/^The API would refuse to start with the configuration target production gives it .*; nothing was built or changed:\n/);
      expect(message).toContain('  - JWT_SECRET: too little variety for a signing key (try `openssl rand -base64 48`)\n    → set JWT_SECRET in .nexus/secrets (or the environment); never in nexus.yml');
      expect(message).toContain('  - MAIL_TRANSPORT: production must choose: set SMTP_URL (smtp) or MAIL_TRANSPORT=disabled to run without mail\n    → set MAIL_TRANSPORT under env: in nexus.yml (app.env for every target, or targets.production.env)');
      expect(message).toContain('  - PAYMENT_PROVIDER: production must name its payment provider');
      expect(message).toMatch(/ {2}- LOG_LEVEL: .*\n {4}→ set LOG_LEVEL under env: in nexus\.yml/);
      expect(message).not.toContain(weak);
    });
  });
});
