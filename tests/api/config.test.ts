import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../api/config';
import { freePort, waitFor } from '../support/components';
import { createTestDatabase, type TestDatabase } from '../support/database';

const DATABASE_URL = 'postgres://nexus:pw@127.0.0.1:5432/nexus';
const STRONG_SECRET = randomBytes(48).toString('base64');
const PRODUCTION = { NODE_ENV: 'production', DATABASE_URL, REDIS_URL: 'redis://127.0.0.1:6379', JWT_SECRET: STRONG_SECRET, MAIL_TRANSPORT: 'disabled', PAYMENT_PROVIDER: 'simulated' };

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

function expectProblem(env: NodeJS.ProcessEnv, variable: string): string {
  const problem = problemsOf(env).find((item) => item.startsWith(`${variable}:`));
  expect(problem).toBeDefined();
  return problem as string;
}

describe('loadConfig', () => {
  it('When only DATABASE_URL is set, then the documented defaults apply', () => {
    const config: Config = loadConfig({ DATABASE_URL });
    expect(config).toMatchObject({
      env: 'development',
      isProduction: false,
      server: { host: '0.0.0.0', port: 8000, bodyLimit: '1mb', shutdownTimeoutMs: 10_000, trustProxy: false },
      database: { url: DATABASE_URL, poolMax: 10 },
      redis: { url: undefined, keyPrefix: 'nexus:' },
      jwt: { secretGenerated: true, accessTtlSeconds: 900, refreshTtlSeconds: 604_800 },
      cors: { origins: [], credentials: false },
      log: { level: 'info' },
      rateLimit: {
        enabled: true,
        login: { max: 10, windowSeconds: 300 },
        register: { max: 5, windowSeconds: 3600 },
        passwordReset: { max: 5, windowSeconds: 3600 },
        passwordResetConfirm: { max: 10, windowSeconds: 3600 },
        tokenRefresh: { max: 60, windowSeconds: 60 },
      },
      passwordReset: { urlTemplate: 'http://localhost:3000/reset-password/{uid}/{token}/', ttlSeconds: 3600 },
      mail: { transport: 'log', from: 'nexus <no-reply@localhost>' },
    });
    expect(config.jwt.secret.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({ DATABASE_URL }).jwt.secret).not.toBe(config.jwt.secret);
  });

  it('When values are given, then they are parsed into typed settings', () => {
    const config = loadConfig({
      DATABASE_URL,
      PORT: '0',
      TRUST_PROXY: '2',
      CORS_ORIGINS: ' https://a.example , https://b.example ,',
      CORS_ALLOW_CREDENTIALS: 'yes',
      RATE_LIMIT_LOGIN: '3/60',
      RATE_LIMIT_ENABLED: '0',
      FRONTEND_URL: 'https://shop.example.com/',
      SMTP_URL: 'smtp://mail.example.com:25',
    });
    expect(config.server.port).toBe(0);
    expect(config.server.trustProxy).toBe(2);
    expect(config.cors).toEqual({ origins: ['https://a.example', 'https://b.example'], credentials: true });
    expect(config.rateLimit.login).toEqual({ max: 3, windowSeconds: 60 });
    expect(config.rateLimit.enabled).toBe(false);
    expect(config.passwordReset.urlTemplate).toBe('https://shop.example.com/reset-password/{uid}/{token}/');
    expect(config.mail.transport).toBe('smtp');
    expect(loadConfig({ DATABASE_URL, TRUST_PROXY: 'loopback, 10.0.0.0/8' }).server.trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(loadConfig({ DATABASE_URL, PORT: '' }).server.port).toBe(8000);
  });

  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache:6379' }],
    ['RATE_LIMIT_LOGIN', { RATE_LIMIT_LOGIN: '5' }],
    ['RATE_LIMIT_REGISTER', { RATE_LIMIT_REGISTER: '0/60' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['BODY_LIMIT', { BODY_LIMIT: 'lots' }],
    ['CORS_ALLOW_CREDENTIALS', { CORS_ALLOW_CREDENTIALS: 'sure' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: '*', CORS_ALLOW_CREDENTIALS: 'true' }],
    ['JWT_ACCESS_TTL', { JWT_ACCESS_TTL: '-5' }],
    ['FRONTEND_URL', { FRONTEND_URL: 'not a url' }],
    ['PASSWORD_RESET_URL', { PASSWORD_RESET_URL: 'https://shop.example.com/reset/' }],
    ['SMTP_URL', { MAIL_TRANSPORT: 'smtp' }],
  ])('When %s is bad (%j), then a ConfigError names it', (variable, env) => {
    const problem = expectProblem({ DATABASE_URL, ...env }, variable);
    expect(problem.length).toBeGreaterThan(variable.length + 5);
  });

  it('When several settings are bad, then every problem is reported at once', () => {
    const problems = problemsOf({ PORT: 'abc', LOG_LEVEL: 'loud', RATE_LIMIT_LOGIN: '5' });
    for (const variable of ['PORT', 'LOG_LEVEL', 'RATE_LIMIT_LOGIN', 'DATABASE_URL']) {
      expect(problems.some((problem) => problem.startsWith(`${variable}:`))).toBe(true);
    }
    let message = '';
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/LOG_LEVEL/);
  });

  it('When DATABASE_URL is missing or empty, then it is required in every environment', () => {
    expectProblem({}, 'DATABASE_URL');
    expectProblem({ DATABASE_URL: '' }, 'DATABASE_URL');
    expectProblem({ NODE_ENV: 'test' }, 'DATABASE_URL');
  });

  it('When production has a strong secret, Redis and a mail choice, then it loads', () => {
    const config = loadConfig(PRODUCTION);
    expect(config.isProduction).toBe(true);
    expect(config.jwt).toMatchObject({ secret: STRONG_SECRET, secretGenerated: false });
    expect(config.mail.transport).toBe('disabled');
    expect(loadConfig({ ...PRODUCTION, MAIL_TRANSPORT: undefined, SMTP_URL: 'smtps://u:p@mail.example.com:465' }).mail.transport).toBe('smtp');
  });

  it('When production lacks REDIS_URL or JWT_SECRET, then both are named', () => {
    const problems = problemsOf({ ...PRODUCTION, REDIS_URL: undefined, JWT_SECRET: undefined });
    expect(problems.some((problem) => problem.startsWith('REDIS_URL:'))).toBe(true);
    expect(problems.some((problem) => problem.startsWith('JWT_SECRET:'))).toBe(true);
  });

  it.each([
    ['too short', 'Xk3-pQ9_zR7!mW2'],
    ['low variety', 'abababababababababababababababababababab'],
    ['a placeholder', 'change-me-Qx7Rk2Zp9Lm4Wt8Vb6Nc3Hy5'],
    ['a placeholder', 'django-insecure-9f8a7b6c5d4e3f2a1b0c9d8e7f6a'],
    ['a placeholder', 'MY_SUPER_SECRET_KEY_4_prod_2026_xyzw'],
  ])('When the production JWT_SECRET is %s (case %#), then it is refused without being echoed', (_kind, secret) => {
    const problem = expectProblem({ ...PRODUCTION, JWT_SECRET: secret }, 'JWT_SECRET');
    expect(problem).not.toContain(secret);
  });

  it('When production does not choose a mail transport or chooses log, then it is refused', () => {
    expectProblem({ ...PRODUCTION, MAIL_TRANSPORT: undefined }, 'MAIL_TRANSPORT');
    expect(expectProblem({ ...PRODUCTION, MAIL_TRANSPORT: 'log' }, 'MAIL_TRANSPORT')).toMatch(/log/);
  });

  it('When a secret-bearing setting is malformed, then its value never appears in the error', () => {
    const secrets = { DATABASE_URL: 'mysql://admin:hunter2-db@db.internal/shop', REDIS_URL: 'http://:hunter2-redis@cache', SMTP_URL: 'mail://u:hunter2-smtp@mx' }; // secretlint-disable-line -- made-up credentials, for this test
    let message = '';
    try {
      loadConfig(secrets);
    } catch (error) {
      message = (error as ConfigError).message;
      for (const variable of Object.keys(secrets)) expect(message).toContain(variable);
    }
    expect(message).not.toMatch(/hunter2|admin|db\.internal/);
    expect(message).toMatch(/redacted/);
  });
});

describe('the server entry point (api/server.ts)', () => {
  const root = join(__dirname, '..', '..');
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME };

  function run(env: NodeJS.ProcessEnv) {
    const child = spawn(tsx, ['api/server.ts'], { cwd: root, env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, exited, stdout: () => stdout, stderr: () => stderr };
  }

  it('When the production environment is incomplete, then it exits 1 naming each variable', async () => {
    const server = run({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:topsecretpw@127.0.0.1:1/x' }); // secretlint-disable-line -- made-up credentials, for this test
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toMatch(/JWT_SECRET/);
    expect(server.stderr()).toMatch(/REDIS_URL/);
    expect(server.stderr()).toMatch(/MAIL_TRANSPORT/);
    expect(server.stderr() + server.stdout()).not.toContain('topsecretpw');
  });

  describe('with a valid environment', () => {
    let database: TestDatabase;

    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(() => database.drop());

    it('When started, then it serves liveness and exits 0 promptly on SIGTERM', async () => {
      const port = await freePort();
      const server = run({
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: database.url,
        MAIL_TRANSPORT: 'disabled',
        LOG_LEVEL: 'info',
      });
      try {
        await waitFor('the API to listen', async () => (await fetch(`http://127.0.0.1:${port}/health/liveness/`)).ok, 30_000);
        const response = await fetch(`http://127.0.0.1:${port}/health/liveness/`);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ status: 'alive', service: 'nexus-api' });
        expect(response.headers.get('x-request-id')).toBeTruthy();
        expect((await fetch(`http://127.0.0.1:${port}/health/readiness/`)).status).toBe(200);
        expect(server.stdout()).toMatch(/nexus API listening/);

        const stoppedAt = Date.now();
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
        expect(Date.now() - stoppedAt).toBeLessThan(5_000);
        expect(server.stdout()).toMatch(/shutting down/);
        await expect(fetch(`http://127.0.0.1:${port}/health/liveness/`)).rejects.toThrow();
      } finally {
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      }
    });
  });
});
