import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { hasRedis } from '../../support/api';
import { startApiDeployment, type ApiDeployment } from '../../support/api-process';
import { describeWith } from '../../support/components';
import { STRONG_PASSWORD } from '../../support/users';

const WRONG = 'Wrong-Password-Here-00';

/**
 * The per-account login lock-out holds for a whole deployment: two API processes share one database and one
 * Redis, an attacker spreads guesses over both and over a fresh client IP each time (so no per-IP limit ever
 * fires), and the account is locked on both all the same. An unknown email behaves identically.
 */
describeWith('Redis', hasRedis, 'per-account login lock-out across two API processes', () => {
  let deployment: ApiDeployment;
  let database: ApiDeployment['database'];
  let processes: ApiDeployment['processes'] = [];
  let redis: Redis;
  let prefix: string;
  let ipCounter = 0;
  const freshIp = () => `198.18.0.${(ipCounter += 1)}`;

  beforeAll(async () => {
    redis = new Redis(process.env.NEXUS_TEST_REDIS_URL as string);
    deployment = await startApiDeployment(2, {
      TRUST_PROXY: '1',
      // The per-IP limits are on, and never reached: each guess comes from a new address.
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_LOGIN: '2/60',
      LOGIN_LOCKOUT_THRESHOLD: '4/60',
      LOGIN_LOCKOUT_DURATION: '60',
    });
    ({ database, processes, redisPrefix: prefix } = deployment);
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    await deployment?.stop();
  }, 30_000);

  const post = (index: number, path: string, body: object, ip = freshIp()) =>
    fetch(`${processes[index]?.url}${path}`, { method: 'POST', headers: { 'X-Forwarded-For': ip, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const login = (index: number, email: string, password: string, ip?: string) => post(index, '/api/v1/auth/login/', { email, password }, ip);

  async function register(): Promise<{ id: number; email: string }> {
    const suffix = randomBytes(4).toString('hex');
    const email = `target-${suffix}@example.com`;
    const response = await post(0, '/api/v1/auth/register/', { email, username: `target_${suffix}`, password: STRONG_PASSWORD, password_confirm: STRONG_PASSWORD });
    expect(response.status).toBe(201);
    return { id: ((await response.json()) as { user: { id: number } }).user.id, email };
  }

  /** Four wrong guesses over both processes, then the right password on each: what the client sees. */
  async function attack(email: string): Promise<{ answers: unknown[]; ips: string[] }> {
    const answers: unknown[] = [];
    const ips: string[] = [];
    for (let guess = 0; guess < 4; guess += 1) {
      const ip = freshIp();
      ips.push(ip);
      const response = await login(guess % 2, email, WRONG, ip);
      answers.push([response.status, await response.json()]);
    }
    for (const index of [1, 0]) {
      const response = await login(index, email, STRONG_PASSWORD);
      const retryAfter = Number(response.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      const body = (await response.json()) as { detail: string };
      expect(body.detail).toBe(`Too many failed logins for this email. Try again in ${retryAfter} seconds, or reset your password.`);
      answers.push([response.status, { ...body, detail: 'Too many failed logins…' }]);
    }
    return { answers, ips };
  }

  it('When guesses at one account are spread over both processes and many IPs, then it is locked on both, the right password included, and every attempt is audited', async () => {
    const user = await register();
    const { answers, ips } = await attack(user.email);
    expect(answers.map((answer) => (answer as unknown[])[0])).toEqual([401, 401, 401, 401, 429, 429]);

    const rows = await database.db('login_audit').where({ email: user.email }).orderBy('id').select<{ user_id: number; client_ip: string; outcome: string }[]>('user_id', 'client_ip', 'outcome');
    expect(rows.slice(0, 4)).toEqual([
      { user_id: user.id, client_ip: ips[0], outcome: 'bad_credentials' },
      { user_id: user.id, client_ip: ips[1], outcome: 'bad_credentials' },
      { user_id: user.id, client_ip: ips[2], outcome: 'bad_credentials' },
      { user_id: user.id, client_ip: ips[3], outcome: 'locked' },
    ]);
    expect(rows.slice(4).map((row) => [row.user_id, row.outcome])).toEqual([
      [user.id, 'refused_while_locked'],
      [user.id, 'refused_while_locked'],
    ]);

    // One lock in the shared Redis, named by a digest of the address (no email in Redis), with the duration as TTL.
    const digest = createHash('sha256').update(user.email).digest('hex');
    const ttl = await redis.pttl(`${prefix}auth:login-lock:${digest}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect((await redis.keys(`${prefix}auth:login-*`)).some((key) => key.includes('@'))).toBe(false);
  });

  it('When an email with no account is attacked the same way, then the answers are identical to a real account\'s', async () => {
    const real = await attack((await register()).email);
    const unknown = await attack(`nobody-${randomBytes(4).toString('hex')}@example.com`);
    expect(unknown.answers).toEqual(real.answers);
  });
});
