import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { registerUser, STRONG_PASSWORD, type RegisteredUser } from '../../support/users';

/** Three failures for one email within a minute lock it for a minute; one trusted proxy hop, as behind nginx. */
const LOCKOUT = { LOGIN_LOCKOUT_THRESHOLD: '3/60', LOGIN_LOCKOUT_DURATION: '60', TRUST_PROXY: '1' };
const WRONG = 'Wrong-Password-Here-00';
const INVALID = { detail: 'Invalid email or password.', code: 'authentication_failed', non_field_errors: ['Invalid email or password.'] };

let ipCounter = 0;
/** A fresh documentation-range address per attempt: the per-IP limits never see the same client twice. */
function freshIp(): string {
  ipCounter += 1;
  return `192.0.2.${ipCounter}`;
}

interface AuditRow {
  user_id: number | null;
  email: string;
  client_ip: string | null;
  outcome: string;
  created_at: string;
}

function expectLocked(response: request.Response): number {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  const detail = `Too many failed logins for this email. Try again in ${retryAfter} seconds, or reset your password.`;
  expect(response.body).toEqual({ detail, code: 'throttled', non_field_errors: [detail] });
  return retryAfter;
}

/**
 * The per-account failed-login throttle (issue 16, item 9): registration still says when an email is taken
 * (old clients rely on it), so an attacker who learns an address cannot then guess its password from many
 * IPs: after LOGIN_LOCKOUT_THRESHOLD failures the email is locked whatever the IP, unknown emails exactly
 * like real ones, and every failure and lock-out is audited with its target account and client IP.
 */
describe('per-account login lock-out', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(LOCKOUT);
  });
  afterAll(() => api.close());

  const login = (email: string, password: string, ip = freshIp(), prefix = '/api/v1/auth') =>
    request(api.app).post(`${prefix}/login/`).set('X-Forwarded-For', ip).send({ email, password });
  const audit = (email: string) => api.db('login_audit').where({ email: email.toLowerCase() }).orderBy('id').select<AuditRow[]>('user_id', 'email', 'client_ip', 'outcome', 'created_at');

  it('When one account fails three times from three IPs, then the next login is 429 with Retry-After from any IP, even with the right password', async () => {
    const user = await registerUser(api);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await login(user.email, WRONG);
      expect([response.status, response.body]).toEqual([401, INVALID]);
    }
    expectLocked(await login(user.email, STRONG_PASSWORD));
    expectLocked(await login(user.email, WRONG, freshIp(), '/api/v1/users'));
    // Other accounts from the same networks are untouched.
    const other = await registerUser(api);
    expect((await login(other.email, STRONG_PASSWORD, `192.0.2.${ipCounter}`)).status).toBe(200);
  });

  it('When an account is attacked, then every failure and the lock-out are audited with the target account, the client IP and the time', async () => {
    const user = await registerUser(api);
    const ips = [freshIp(), freshIp(), freshIp(), freshIp()];
    const started = Date.now();
    for (const ip of ips) await login(user.email, WRONG, ip);
    const rows = await audit(user.email);
    expect(rows.map(({ user_id, email, client_ip, outcome }) => ({ user_id, email, client_ip, outcome }))).toEqual([
      { user_id: user.id, email: user.email, client_ip: ips[0], outcome: 'bad_credentials' },
      { user_id: user.id, email: user.email, client_ip: ips[1], outcome: 'bad_credentials' },
      { user_id: user.id, email: user.email, client_ip: ips[2], outcome: 'locked' },
      { user_id: user.id, email: user.email, client_ip: ips[3], outcome: 'refused_while_locked' },
    ]);
    for (const row of rows) expect(Math.abs(Date.parse(row.created_at) - started)).toBeLessThan(60_000);
  });

  it('When an unknown email is tried the same way, then every answer is the same as for a real account, so the throttle reveals nothing', async () => {
    const user = await registerUser(api);
    const unknown = `nobody-${randomBytes(4).toString('hex')}@example.com`;
    const answers = async (email: string) => {
      const seen: unknown[] = [];
      for (const password of [WRONG, WRONG, WRONG, WRONG, STRONG_PASSWORD]) {
        const response = await login(email, password);
        seen.push([response.status, response.body, response.headers['retry-after'] === undefined ? 'no Retry-After' : 'Retry-After']);
      }
      return seen;
    };
    const real = await answers(user.email);
    expect(real.map((answer) => (answer as unknown[])[0])).toEqual([401, 401, 401, 429, 429]);
    expect(await answers(unknown)).toEqual(real);
    expect((await audit(unknown)).map((row) => [row.user_id, row.outcome])).toEqual([
      [null, 'bad_credentials'],
      [null, 'bad_credentials'],
      [null, 'locked'],
      [null, 'refused_while_locked'],
      [null, 'refused_while_locked'],
    ]);
  });

  it('When the email\'s case varies, then all spellings share one counter', async () => {
    const user = await registerUser(api);
    const [local, domain] = user.email.split('@') as [string, string];
    for (const email of [user.email.toUpperCase(), `${local}@${domain.toUpperCase()}`, user.email]) expect((await login(email, WRONG)).status).toBe(401);
    expectLocked(await login(user.email, STRONG_PASSWORD));
  });

  it('When a login succeeds before the limit, then the earlier failures are forgotten', async () => {
    const user = await registerUser(api);
    for (const password of [WRONG, WRONG, STRONG_PASSWORD, WRONG, WRONG]) await login(user.email, password);
    expect((await login(user.email, STRONG_PASSWORD)).status).toBe(200);
  });

  it('When an account is locked, then its existing sessions keep working (refresh and reads), so the lock does not sign its owner out', async () => {
    const user: RegisteredUser = await registerUser(api);
    for (let attempt = 0; attempt < 3; attempt += 1) await login(user.email, WRONG);
    expectLocked(await login(user.email, STRONG_PASSWORD));
    const refreshed = await request(api.app).post('/api/v1/auth/token/refresh/').send({ refresh: user.refresh });
    expect(refreshed.status).toBe(200);
    expect((await request(api.app).get('/api/v1/auth/profile/').set('Authorization', `Bearer ${refreshed.body.access as string}`)).status).toBe(200);
  });

  it('When the owner completes a password reset, then the lock is lifted at once', async () => {
    const user = await registerUser(api);
    for (let attempt = 0; attempt < 3; attempt += 1) await login(user.email, WRONG);
    expectLocked(await login(user.email, STRONG_PASSWORD));

    const token = randomBytes(32).toString('base64url');
    await api.db('password_reset_tokens').insert({ user_id: user.id, token_hash: createHash('sha256').update(token).digest('hex'), expires_at: api.db.raw("now() + interval '1 hour'") });
    const newPassword = 'Copper-Meadow-Signal-57';
    const reset = await request(api.app)
      .post('/api/v1/auth/password/reset/confirm/')
      .send({ uid: Buffer.from(String(user.id)).toString('base64url'), token, new_password: newPassword, new_password_confirm: newPassword });
    expect(reset.status).toBe(200);
    expect((await login(user.email, newPassword)).status).toBe(200);
  });

  it('When audit rows are older than LOGIN_AUDIT_RETENTION_DAYS, then new failures clear them out', async () => {
    const stale = `stale-${randomBytes(4).toString('hex')}@example.com`;
    await api.db('login_audit').insert({ email: stale, client_ip: '192.0.2.250', outcome: 'bad_credentials', created_at: api.db.raw("now() - interval '91 days'") });
    const kept = `kept-${randomBytes(4).toString('hex')}@example.com`;
    await api.db('login_audit').insert({ email: kept, client_ip: '192.0.2.251', outcome: 'bad_credentials', created_at: api.db.raw("now() - interval '89 days'") });
    await login(`someone-${randomBytes(4).toString('hex')}@example.com`, WRONG);
    expect(await audit(stale)).toEqual([]);
    expect(await audit(kept)).toHaveLength(1);
  });
});

describe('per-account login lock-out expiry', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ ...LOCKOUT, LOGIN_LOCKOUT_DURATION: '1' });
  });
  afterAll(() => api.close());

  it('When the lock-out duration has passed, then the right password works again', async () => {
    const user = await registerUser(api);
    const login = (password: string) => request(api.app).post('/api/v1/auth/login/').send({ email: user.email, password });
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await login(WRONG)).status).toBe(401);
    expect((await login(STRONG_PASSWORD)).status).toBe(429);
    // The lock is a Redis key with a TTL (real time): poll with a deadline rather than sleep a fixed time.
    const deadline = Date.now() + 5_000;
    let status = 429;
    while (status === 429 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await login(STRONG_PASSWORD)).status;
    }
    expect(status).toBe(200);
  });
});
