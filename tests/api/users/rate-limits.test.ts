import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { hasRedis, startTestApi, type TestApi } from '../../support/api';
import { describeWith } from '../../support/components';
import { registerUser, STRONG_PASSWORD, type RegisteredUser } from '../../support/users';

/** Login limited to 3 per minute per client IP; one trusted proxy hop, as behind the production nginx. */
const LIMITED = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_LOGIN: '3/60',
  RATE_LIMIT_REGISTER: '1000/3600',
  TRUST_PROXY: '1',
};

let ipCounter = 0;
/** A fresh documentation-range address per use, so each test has buckets of its own. */
function clientIp(): string {
  ipCounter += 1;
  return `198.51.100.${ipCounter}`;
}

function randomIp(): string {
  const bytes = randomBytes(4);
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

function expectThrottled(response: request.Response): void {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(response.body).toEqual({ detail: `Request was throttled. Expected available in ${retryAfter} seconds.`, code: 'throttled' });
  // Every policy that applied is listed (the writes class, then the login bucket).
  expect(response.headers.ratelimit).toMatch(/(^|, )"login"; r=0; t=\d+$/);
  expect(response.headers['ratelimit-policy']).toMatch(/(^|, )"login"; q=3; w=60; pk=:[^:]+:$/);
}

describe('login rate limit', () => {
  let api: TestApi;
  let user: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApi(LIMITED);
    user = await registerUser(api);
  });
  afterAll(() => api.close());

  const login = (forwardedFor: string | undefined, prefix = '/api/v1/auth', password = 'Wrong-Password-Here-00') =>
    request(api.app)
      .post(`${prefix}/login/`)
      .set(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {})
      .send({ email: user.email, password });

  it('When a client IP makes a 4th login attempt within the window, then 429 with Retry-After and RateLimit headers', async () => {
    const ip = clientIp();
    const remaining: string[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await login(ip);
      expect(response.status).toBe(401);
      remaining.push(String(response.headers.ratelimit));
    }
    expect(remaining.map((header) => /"login"; r=(\d+)/.exec(header)?.[1])).toEqual(['2', '1', '0']);

    const fourth = await login(ip);
    expectThrottled(fourth);
    // Even the right password is refused until the window ends.
    expectThrottled(await login(ip, '/api/v1/auth', STRONG_PASSWORD));
  });

  it('When successful logins fill the window, then they count too', async () => {
    const ip = clientIp();
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await login(ip, '/api/v1/auth', STRONG_PASSWORD)).status).toBe(200);
    expectThrottled(await login(ip, '/api/v1/auth', STRONG_PASSWORD));
  });

  it('When attempts alternate between /auth/login/ and /users/login/, then they share one bucket', async () => {
    const ip = clientIp();
    expect((await login(ip, '/api/v1/auth')).status).toBe(401);
    expect((await login(ip, '/api/v1/users')).status).toBe(401);
    expect((await login(ip, '/api/v1/auth')).status).toBe(401);
    expectThrottled(await login(ip, '/api/v1/users'));
    expectThrottled(await login(ip, '/api/v1/auth'));
  });

  it('When forged first X-Forwarded-For entries vary but the proxy-added last hop is the same, then the bucket is shared', async () => {
    const realClient = clientIp();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await login(`${randomIp()}, ${realClient}`)).status).toBe(401);
    }
    expectThrottled(await login(`${randomIp()}, ${realClient}`));
    expectThrottled(await login(`${randomIp()}, ${randomIp()}, ${realClient}`));
    expectThrottled(await login(realClient));
  });

  it('When another client IP logs in meanwhile, then it has its own bucket', async () => {
    const busy = clientIp();
    for (let attempt = 0; attempt < 4; attempt += 1) await login(busy);
    expectThrottled(await login(busy));

    const other = await login(`${busy}, ${clientIp()}`, '/api/v1/auth', STRONG_PASSWORD);
    expect(other.status).toBe(200);
    expect(other.headers.ratelimit).toMatch(/(^|, )"login"; r=2; t=\d+$/);
    // A direct connection without X-Forwarded-For is keyed on the socket address, not on anyone's header.
    expect((await login(undefined, '/api/v1/auth', STRONG_PASSWORD)).status).toBe(200);
  });

  it('When logins are throttled, then other endpoints of the same client are not', async () => {
    const ip = clientIp();
    for (let attempt = 0; attempt < 4; attempt += 1) await login(ip);
    expectThrottled(await login(ip));
    const refresh = await request(api.app).post('/api/v1/auth/token/refresh/').set('X-Forwarded-For', ip).send({ refresh: user.refresh });
    expect(refresh.status).toBe(200);
    expect(refresh.headers.ratelimit).toMatch(/(^|, )"token-refresh"; /);
  });

  it('When rate limiting is disabled, then no limit or RateLimit header applies', async () => {
    const open = await startTestApi({ ...LIMITED, RATE_LIMIT_ENABLED: 'false' });
    try {
      const account = await registerUser(open);
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const response = await request(open.app).post('/api/v1/auth/login/').send({ email: account.email, password: 'Wrong-Password-Here-00' });
        expect(response.status).toBe(401);
        expect(response.headers.ratelimit).toBeUndefined();
      }
    } finally {
      await open.close();
    }
  });
});

describeWith('Redis', hasRedis, 'login rate limit in Redis', () => {
  const prefix = `test:rl-shared-${randomBytes(4).toString('hex')}:`;
  let first: TestApi;
  let second: TestApi;

  beforeAll(async () => {
    // Two API processes of one deployment: separate databases do not matter here, the Redis prefix is shared.
    first = await startTestApi({ ...LIMITED, REDIS_KEY_PREFIX: prefix });
    second = await startTestApi({ ...LIMITED, REDIS_KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  const attempt = (api: TestApi, ip: string, prefixPath = '/api/v1/auth') =>
    request(api.app).post(`${prefixPath}/login/`).set('X-Forwarded-For', ip).send({ email: 'nobody@example.com', password: 'Wrong-Password-Here-00' });

  it('When attempts are spread over two API processes, then the Redis-backed limit is shared', async () => {
    const ip = clientIp();
    expect((await attempt(first, ip)).status).toBe(401);
    expect((await attempt(second, ip, '/api/v1/users')).status).toBe(401);
    expect((await attempt(first, ip)).status).toBe(401);
    expectThrottled(await attempt(second, ip));
    expectThrottled(await attempt(first, ip, '/api/v1/users'));
  });

  it('When a client is counted, then its counter lives in Redis under the login bucket with the window as TTL', async () => {
    const ip = clientIp();
    expect((await attempt(first, ip)).status).toBe(401);
    const redis = first.runtime.redis;
    if (!redis) throw new Error('the API should be using Redis');
    const key = `${prefix}rl:login:${ip}`;
    expect(await redis.get(key)).toBe('1');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const forged = await redis.keys(`${prefix}rl:login:*`);
    expect(forged.every((name) => name.startsWith(`${prefix}rl:login:198.51.100.`))).toBe(true);
  });
});
