import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { bearer, makeStaff, registerUser, type RegisteredUser } from '../../support/users';
import { consoleSignIn, csrfIn } from './console-session';

/** Every console route a signed-in staff member can reach, and the forms that change something. */
const PAGES = ['/admin/', '/admin/users/', '/admin/audit/'];
const userPage = (id: number) => `/admin/users/${id}/`;
const ACTIONS = ['activate', 'deactivate', 'promote', 'demote', 'sign-out', 'reset-password'];

function cookieOf(response: request.Response, name: string): string | undefined {
  const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  return cookies.map((cookie) => new RegExp(`^${name}=([^;]*)`).exec(cookie)?.[1]).find((value) => value !== undefined && value !== '');
}

describe('the staff console: sessions, CSRF and who may enter', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let customer: RegisteredUser;

  const signIn = (user: RegisteredUser, agent?: request.Agent) => consoleSignIn(api, user, agent);

  beforeAll(async () => {
    api = await startTestApi({ CONSOLE_IDLE_TIMEOUT: '60', CONSOLE_SESSION_LIFETIME: '600', TRUST_PROXY: '1' });
    staff = await registerUser(api, { email: 'staff@example.com' });
    await makeStaff(api, staff.id);
    customer = await registerUser(api, { email: 'customer@example.com' });
  });
  afterAll(() => api.close());

  it('When anonymous, then every page redirects to sign-in (keeping where it was going), an htmx request gets 401, and a form post 401', async () => {
    for (const path of [...PAGES, userPage(customer.id)]) {
      const response = await request(api.app).get(path);
      expect({ path, status: response.status, location: response.headers.location }).toEqual({ path, status: 303, location: `/admin/login/?next=${encodeURIComponent(path)}` });
    }
    expect((await request(api.app).get('/admin/users/').set('HX-Request', 'true')).status).toBe(401);
    for (const action of ACTIONS) expect((await request(api.app).post(`${userPage(customer.id)}${action}/`).type('form').send({})).status).toBe(401);
    expect((await request(api.app).post('/admin/logout/')).status).toBe(401);
  });

  it('When a staff member signs in, then the session cookie is HttpOnly, SameSite=Strict, scoped to /admin, new at each sign-in, and the browser goes where it was going', async () => {
    const agent = request.agent(api.app);
    // A token planted before sign-in (session fixation) is not the one the session gets.
    const planted = 'planted-token-value';
    agent.jar.setCookie(`nexus_console=${planted}; Path=/admin`, '127.0.0.1', '/admin');
    const { response } = await signIn(staff, agent);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/admin/users/');
    const cookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((line) => line.startsWith('nexus_console='));
    expect(cookie).toMatch(/^nexus_console=[A-Za-z0-9_-]{43}; Path=\/admin; HttpOnly; SameSite=Strict$/);
    expect(cookieOf(response, 'nexus_console')).not.toBe(planted);
    const second = await signIn(staff);
    expect(cookieOf(second.response, 'nexus_console')).not.toBe(cookieOf(response, 'nexus_console'));
    // Behind TLS (a trusted proxy says https), the cookie is Secure too.
    const tls = await request(api.app).get('/admin/login/').set('X-Forwarded-Proto', 'https');
    expect(([] as string[]).concat(tls.headers['set-cookie'] ?? [])[0]).toMatch(/; Secure$/);
  });

  it('When a customer, a wrong password or an unknown email signs in, then the same answer (401) and no session', async () => {
    const answers = [];
    for (const attempt of [customer, { ...staff, password: 'Wrong-Password-123' }, { ...staff, email: 'nobody@example.com' }]) {
      const agent = request.agent(api.app);
      const form = await agent.get('/admin/login/');
      const response = await agent.post('/admin/login/').type('form').send({ csrf: csrfIn(form.text), email: attempt.email, password: attempt.password });
      answers.push({ status: response.status, alert: /role="alert" class="error">([^<]*)</.exec(response.text)?.[1], session: cookieOf(response, 'nexus_console') });
    }
    expect(answers).toEqual(Array(3).fill({ status: 401, alert: 'Invalid email or password.', session: undefined }));
  });

  it('When the sign-in form comes without its CSRF cookie (another site posting it), then 403 and no session', async () => {
    const response = await request(api.app).post('/admin/login/').type('form').send({ csrf: 'forged', email: staff.email, password: staff.password });
    expect(response.status).toBe(403);
    expect(cookieOf(response, 'nexus_console')).toBeUndefined();
  });

  it('When a form is posted without or with a wrong CSRF token, then 403 and nothing changes', async () => {
    const { agent, csrf } = await signIn(staff);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const token of [undefined, 'wrong', `${csrf}x`]) {
      const response = await agent.post(`${userPage(customer.id)}deactivate/`).type('form').send(token === undefined ? {} : { csrf: token });
      expect(response.status).toBe(403);
    }
    expect(await api.db('users').where({ id: customer.id }).first()).toMatchObject({ is_active: true });
    expect(await api.db('audit_log').count('* as count').first()).toEqual({ count: 0 });
  });

  it('When a staff member acts through the console, then the change is made by the service and audited with their name; their own account cannot be deactivated or demoted', async () => {
    const { agent, csrf } = await signIn(staff);
    const done = await agent.post(`${userPage(customer.id)}deactivate/`).type('form').send({ csrf });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`/admin/users/${customer.id}/?done=deactivate`);
    expect((await request(api.app).get('/api/v1/auth/profile/').set(bearer(customer.access))).status).toBe(401);
    const page = await agent.get(done.headers.location as string);
    expect(page.text).toContain('The account is deactivated and signed out everywhere.');
    expect(page.text).toContain('>Activate</button>');
    expect(page.text).not.toContain('>Deactivate</button>');
    expect(await api.db('audit_log').where({ action: 'user.deactivated' }).first()).toMatchObject({ actor_id: staff.id, actor: staff.email, source: 'console', resource_id: String(customer.id) });
    expect((await agent.post(`${userPage(customer.id)}activate/`).type('form').send({ csrf })).status).toBe(303);

    const own = await agent.get(userPage(staff.id));
    expect(own.text).not.toContain('>Deactivate</button>');
    expect(own.text).not.toContain('>Remove staff rights</button>');
    const refused = await agent.post(`${userPage(staff.id)}deactivate/`).type('form').send({ csrf });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('You cannot deactivate or demote your own account');
    expect(await api.db('users').where({ id: staff.id }).first()).toMatchObject({ is_active: true, is_staff: true });

    const audit = await agent.get('/admin/audit/?action=user.deactivated');
    expect(audit.text).toContain(`user ${customer.id}`);
    expect(audit.text).toContain('<td><code>is_active: false\nis_staff: false\nis_superuser: false</code></td>');
  });

  it('When the session is signed out, deactivated, demoted, idle too long or too old, then it is refused', async () => {
    const expectRefused = async (agent: request.Agent) => expect((await agent.get('/admin/')).status).toBe(303);

    const out = await signIn(staff);
    expect((await out.agent.post('/admin/logout/').type('form').send({ csrf: out.csrf })).status).toBe(303);
    await expectRefused(out.agent);

    const second = await registerUser(api, { email: 'second-staff@example.com' });
    await makeStaff(api, second.id);
    const theirs = await signIn(second);
    expect((await theirs.agent.get('/admin/')).status).toBe(200);
    const mine = await signIn(staff);
    await mine.agent.post(`${userPage(second.id)}demote/`).type('form').send({ csrf: mine.csrf });
    await expectRefused(theirs.agent);
    await mine.agent.post(`${userPage(second.id)}promote/`).type('form').send({ csrf: mine.csrf });
    const again = await signIn(second);
    await mine.agent.post(`${userPage(second.id)}deactivate/`).type('form').send({ csrf: mine.csrf });
    await expectRefused(again.agent);
    await mine.agent.post(`${userPage(second.id)}activate/`).type('form').send({ csrf: mine.csrf });
    const everywhere = await signIn(second);
    await mine.agent.post(`${userPage(second.id)}sign-out/`).type('form').send({ csrf: mine.csrf });
    await expectRefused(everywhere.agent);

    // Idle: 60 s without a request. Too old: 600 s from sign-in, however active.
    const idle = await signIn(staff);
    api.clock.advance(61);
    await expectRefused(idle.agent);
    const busy = await signIn(staff);
    for (let minute = 0; minute < 10; minute += 1) {
      api.clock.advance(59);
      expect((await busy.agent.get('/admin/')).status).toBe(59 * (minute + 1) < 600 ? 200 : 303);
    }
    api.clock.advance(59);
    await expectRefused(busy.agent);
  });

  it('When a console page is served, then it carries each security header once, a strict CSP, no-store, and refuses to be framed', async () => {
    const { agent } = await signIn(staff);
    for (const path of [...PAGES, '/admin/login/']) {
      const response = await agent.get(path);
      const rawHeaders = (response as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
      const raw = rawHeaders.filter((_value, index) => index % 2 === 0).map((name) => name.toLowerCase());
      for (const header of ['content-security-policy', 'x-frame-options', 'x-content-type-options', 'strict-transport-security', 'referrer-policy']) expect({ path, header, count: raw.filter((name) => name === header).length }).toEqual({ path, header, count: 1 });
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(response.headers['cache-control']).toBe('no-store');
    }
  });

  it('When a page gets hostile input (paths, ids, query strings), then a clear 4xx and nothing breaks', async () => {
    const { agent, csrf } = await signIn(staff);
    expect((await agent.get('/admin/users/0/')).status).toBe(404);
    expect((await agent.get('/admin/users/abc/')).status).toBe(404);
    expect((await agent.get('/admin/users/99999999/')).status).toBe(404);
    expect((await agent.get('/admin/USERS/')).status).toBe(404);
    expect((await agent.post(`${userPage(customer.id)}constructor/`).type('form').send({ csrf })).status).toBe(404);
    const search = await agent.get(`/admin/users/?q=${encodeURIComponent("<script>alert(1)</script>' OR 1=1 --")}&role=x&page=-5`);
    expect(search.status).toBe(200);
    expect(search.text).not.toContain('<script>alert(1)</script>');
    expect(search.text).toContain('&lt;script&gt;');
    expect(search.text).toContain('<span>Page 1 of 1</span>');
    expect((await agent.post(`${userPage(customer.id)}deactivate/`).type('form').send(`csrf=${csrf}&x=${'a'.repeat(20_000)}`)).status).toBe(413);
    expect((await agent.get('/admin/audit/?actor_id=1%27%20OR%201=1&before=-1')).status).toBe(200);
    // A cookie that is not even well-formed is no session: sign-in, not a server error.
    for (const cookie of ['nexus_console=%E0%A4%A', 'nexus_console=', 'nexus_console', `nexus_console=${'x'.repeat(4000)}`]) {
      expect((await request(api.app).get('/admin/').set('Cookie', cookie)).status).toBe(303);
    }
    const form = await request(api.app).get('/admin/login/');
    const posted = await request(api.app).post('/admin/login/').set('Cookie', 'nexus_console_login=%E0%A4%A').type('form').send({ csrf: csrfIn(form.text), email: staff.email, password: staff.password });
    expect(posted.status).toBe(403);
  });
});
