import { randomBytes } from 'node:crypto';
import { hasRedis } from '../../support/api';
import { startApiDeployment, type ApiDeployment } from '../../support/api-process';
import { describeWith } from '../../support/components';

/**
 * Reads and writes are limited per client IP across the whole deployment: two API processes share the
 * counters in Redis, cached catalogue answers (served before the router) count too, and a forged first
 * X-Forwarded-For entry does not buy a fresh bucket.
 */
describeWith('Redis', hasRedis, 'route-class rate limits across two API processes', () => {
  let deployment: ApiDeployment;
  let processes: ApiDeployment['processes'] = [];
  let ipCounter = 0;
  const clientIp = () => `203.0.113.${(ipCounter += 1)}`;

  beforeAll(async () => {
    deployment = await startApiDeployment(2, { TRUST_PROXY: '1', RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_READS: '6/60', RATE_LIMIT_WRITES: '4/60' });
    processes = deployment.processes;
  }, 60_000);

  afterAll(() => deployment?.stop(), 30_000);

  const get = (index: number, path: string, ip: string) => fetch(`${processes[index]?.url}${path}`, { headers: { 'X-Forwarded-For': ip } });
  const post = (index: number, path: string, ip: string) =>
    fetch(`${processes[index]?.url}${path}`, { method: 'POST', headers: { 'X-Forwarded-For': ip, 'Content-Type': 'application/json' }, body: '{}' });

  async function expectThrottled(response: Response, policy: string, quota: number): Promise<void> {
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await response.json()).toEqual({ detail: `Request was throttled. Expected available in ${retryAfter} seconds.`, code: 'throttled' });
    expect(response.headers.get('ratelimit')).toMatch(new RegExp(`"${policy}"; r=0; t=\\d+`));
    expect(response.headers.get('ratelimit-policy')).toMatch(new RegExp(`"${policy}"; q=${quota}; w=60`));
  }

  it('When reads are spread over both processes, then the sixth passes and the seventh is refused on either, cached answers included', async () => {
    const ip = clientIp();
    const answers: string[] = [];
    // The same catalogue page again and again: once cached, the fast lane answers it before the router.
    for (let index = 0; index < 6; index += 1) {
      const response = await get(index % 2, '/api/v1/products/', ip);
      answers.push(`${response.status} ${response.headers.get('x-cache') ?? 'app'}`);
    }
    expect(answers.every((answer) => answer.startsWith('200 '))).toBe(true);
    expect(answers.filter((answer) => answer.endsWith('HIT')).length).toBeGreaterThanOrEqual(2);
    await expectThrottled(await get(0, '/api/v1/products/', ip), 'reads', 6);
    await expectThrottled(await get(1, '/api/v1/categories/', ip), 'reads', 6);
  });

  it('When writes are spread over both processes, then the fifth is refused, whatever the route answered before', async () => {
    const ip = clientIp();
    const statuses = [
      (await post(0, '/api/v1/cart/add/', ip)).status,
      (await post(1, '/api/v1/orders/', ip)).status,
      (await post(0, '/api/v1/auth/password/reset/', ip)).status,
      (await post(1, '/api/v1/reviews/', ip)).status,
    ];
    expect(statuses).toEqual([401, 401, 400, 401]);
    await expectThrottled(await post(0, '/api/v1/cart/add/', ip), 'writes', 4);
  });

  it('When reads are exhausted, then writes, health and the docs still answer, and another client is not affected', async () => {
    const ip = clientIp();
    for (let index = 0; index < 7; index += 1) await get(index % 2, '/api/v1/categories/', ip);
    expect((await get(0, '/api/v1/categories/', ip)).status).toBe(429);
    expect((await post(1, '/api/v1/cart/add/', ip)).status).toBe(401);
    for (const path of ['/health/', '/api/v1/health/', '/api/v1/schema/', '/health/readiness/']) expect([path, (await get(0, path, ip)).status]).toEqual([path, 200]);
    expect((await get(1, '/api/v1/categories/', clientIp())).status).toBe(200);
  });

  it('When the first X-Forwarded-For entry is forged differently each time, then the proxy-added last hop still decides the bucket', async () => {
    const ip = clientIp();
    const forged = () => `${randomBytes(1)[0]}.${randomBytes(1)[0]}.0.1, ${ip}`;
    for (let index = 0; index < 6; index += 1) expect((await get(index % 2, '/api/v1/products/', forged())).status).toBe(200);
    await expectThrottled(await get(0, '/api/v1/products/', forged()), 'reads', 6);
  });
});
