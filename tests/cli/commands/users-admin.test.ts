import request from 'supertest';
import { AuditLog } from '../../../api/modules/audit';
import { SessionRepository, UserAdminService } from '../../../api/modules/users';
import { expectExit, runNexus } from '../../support/cli';
import { startTestApi, type TestApi } from '../../support/api';
import { bearer, makeStaff, registerUser, STRONG_PASSWORD, type RegisteredUser } from '../../support/users';

interface UserJson {
  id: number;
  email: string;
  is_active: boolean;
  is_staff: boolean;
  password_hash?: string;
}

describe('nexus users: staff powers over accounts from the CLI (list, show, activate, deactivate, promote, demote, sign-out, reset-password)', () => {
  let api: TestApi;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  const users = (args: string[], env: Record<string, string> = {}) => runNexus(['users', ...args], { env: { DATABASE_URL: api.database.url, NEXUS_OPERATOR: 'ops@ci', ...env } });
  const staffList = (token: string) => request(api.app).get('/api/v1/orders/admin/all/').set(bearer(token));
  const audit = (action: string) => api.db('audit_log').where({ action }).orderBy('id');
  const login = (user: RegisteredUser) => request(api.app).post('/api/v1/auth/login/').send({ email: user.email, password: user.password });

  beforeAll(async () => {
    api = await startTestApi();
    alice = await registerUser(api, { email: 'alice.cooper@example.com', username: 'alice' });
    bob = await registerUser(api, { email: 'bob@example.com', username: 'bobby' });
  });
  afterAll(() => api.close());

  it('When users are listed, then --search, --role and --status filter, newest first, without password hashes', async () => {
    const all = await users(['list', '--json']);
    expectExit(all, 0);
    const listed = all.json<{ count: number; results: UserJson[] }>();
    expect(listed.results.map((user) => user.email)).toEqual(['bob@example.com', 'alice.cooper@example.com']);
    expect(listed.results[0]).not.toHaveProperty('password_hash');

    const found = await users(['list', '--search', 'COOPER', '--json']);
    expect(found.json<{ results: UserJson[] }>().results.map((user) => user.email)).toEqual(['alice.cooper@example.com']);
    // LIKE's own characters are text, not wildcards.
    expect((await users(['list', '--search', '%', '--json'])).json<{ count: number }>().count).toBe(0);
    expect((await users(['list', '--role', 'staff', '--json'])).json<{ count: number }>().count).toBe(0);

    const human = await users(['list', '--search', 'bob']);
    expectExit(human, 0);
    expect(human.stdout).toMatch(new RegExp(`^\\s+${bob.id}  bob@example.com  @bobby  joined \\d{4}-\\d{2}-\\d{2}\\n1 of 1 \\(page 1\\)\\n$`));
    expectExit(await users(['list', '--role', 'admin']), 2);
    expectExit(await users(['list', '--page-size', '0']), 2);
  });

  it('When one user is shown, by id or email in any case, then its orders, addresses and sessions are counted; an unknown or hostile key is exit 1 and harms nothing', async () => {
    const byEmail = await users(['show', 'ALICE.COOPER@example.com', '--json']);
    expectExit(byEmail, 0);
    expect(byEmail.json()).toMatchObject({ user: { id: alice.id, is_active: true }, orders: { count: 0, total_spent: '0' }, addresses: 0, active_sessions: 1 });
    expect((await users(['show', String(alice.id), '--json'])).json<{ user: UserJson }>().user.email).toBe(alice.email);
    for (const key of ['nobody@example.com', '999999', "x' OR '1'='1", '1; DROP TABLE users']) {
      const missing = await users(['show', key, '--json']);
      expectExit(missing, 1);
      expect(missing.json<{ error: { code: string } }>().error.code).toBe('USER_NOT_FOUND');
    }
    expect(await api.db('users').count('* as count').first()).toEqual({ count: 2 });
  });

  it('When an account is deactivated, then its tokens and logins are refused at once, it is audited, and activate lets it back in', async () => {
    expect((await request(api.app).get('/api/v1/auth/profile/').set(bearer(alice.access))).status).toBe(200);
    const result = await users(['deactivate', alice.email, '--json']);
    expectExit(result, 0);
    expect(result.json<UserJson>()).toMatchObject({ id: alice.id, is_active: false });
    expect((await request(api.app).get('/api/v1/auth/profile/').set(bearer(alice.access))).status).toBe(401);
    expect((await request(api.app).post('/api/v1/auth/token/refresh/').send({ refresh: alice.refresh })).status).toBe(401);
    expect((await login(alice)).status).toBe(401);
    expect(await audit('user.deactivated')).toEqual([
      expect.objectContaining({ actor: 'cli:ops@ci', actor_id: null, source: 'cli', resource_type: 'user', resource_id: String(alice.id), before: { is_active: true, is_staff: false, is_superuser: false }, after: { is_active: false, is_staff: false, is_superuser: false } }),
    ]);

    // Again: nothing to change, nothing audited.
    expectExit(await users(['deactivate', alice.email]), 0);
    expect(await audit('user.deactivated')).toHaveLength(1);

    const activated = await users(['activate', String(alice.id)]);
    expectExit(activated, 0);
    expect(activated.stdout).toBe(`Active: alice.cooper@example.com (id ${alice.id}).\n`);
    const back = await login(alice);
    expect(back.status).toBe(200);
    alice = { ...alice, access: back.body.access, refresh: back.body.refresh };
  });

  it('When two operators deactivate the same account at once, then the row lock makes it one change and one audit entry', async () => {
    const [first, second] = await Promise.all([users(['deactivate', bob.email, '--json']), users(['deactivate', bob.email, '--json'])]);
    expectExit(first, 0);
    expectExit(second, 0);
    expect(await api.db('audit_log').where({ action: 'user.deactivated', resource_id: String(bob.id) })).toHaveLength(1);
    expectExit(await users(['activate', bob.email]), 0);
    const back = await login(bob);
    bob = { ...bob, access: back.body.access, refresh: back.body.refresh };
  });

  it('When an account is signed out everywhere, then its access tokens are refused from the next request (the API never heard of it but from the database) and it can sign in again', async () => {
    const phone = await login(alice);
    const result = await users(['sign-out', alice.email, '--json']);
    expectExit(result, 0);
    expect(result.json()).toMatchObject({ user: { id: alice.id }, sessions: 2 });
    for (const token of [alice.access, phone.body.access as string]) {
      const refused = await request(api.app).get('/api/v1/auth/profile/').set(bearer(token));
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('token_not_valid');
    }
    expect((await request(api.app).post('/api/v1/auth/token/refresh/').send({ refresh: alice.refresh })).status).toBe(401);
    expect(await audit('user.signed_out')).toEqual([expect.objectContaining({ after: { sessions_revoked: 2 } })]);
    const again = await login(alice);
    expect(again.status).toBe(200);
    alice = { ...alice, access: again.body.access, refresh: again.body.refresh };
  });

  it('When an account is promoted and demoted, then the staff routes follow', async () => {
    expect((await staffList(bob.access)).status).toBe(403);
    expectExit(await users(['promote', bob.email]), 0);
    expect((await staffList(bob.access)).status).toBe(200);
    expectExit(await users(['demote', bob.email]), 0);
    expect((await staffList(bob.access)).status).toBe(403);
    expect((await audit('user.promoted')).map((entry: { after: object }) => entry.after)).toEqual([{ is_active: true, is_staff: true, is_superuser: true }]);
  });

  it('When the database is production, then deactivate, demote and sign-out need --yes without a terminal, and change nothing without it', async () => {
    const production = { NODE_ENV: 'production' };
    for (const command of ['deactivate', 'demote', 'sign-out']) {
      const refused = await users([command, alice.email, '--json'], production);
      expectExit(refused, 2);
      expect(refused.json<{ error: { suggestions: string[] } }>().error.suggestions).toEqual(['pass --yes to confirm without a prompt']);
    }
    expect(await api.db('users').where({ id: alice.id }).first()).toMatchObject({ is_active: true });
    expect((await request(api.app).get('/api/v1/auth/profile/').set(bearer(alice.access))).status).toBe(200);
    expectExit(await users(['deactivate', alice.email, '--yes'], production), 0);
    expectExit(await users(['activate', alice.email], production), 0);
    const back = await login(alice);
    alice = { ...alice, access: back.body.access, refresh: back.body.refresh };
  });

  it('When a reset link is sent, then it is the API\'s own link (printed with MAIL_TRANSPORT=log) and works; with mail disabled nothing is issued', async () => {
    const disabled = await users(['reset-password', alice.email, '--json'], { MAIL_TRANSPORT: 'disabled' });
    expectExit(disabled, 3);
    expect(disabled.json<{ error: { code: string } }>().error.code).toBe('MAIL_DISABLED');
    expect(await api.db('password_reset_tokens').where({ user_id: alice.id })).toEqual([]);
    expectExit(await users(['reset-password', alice.email], { MAIL_TRANSPORT: 'smtp' }), 3);

    const sent = await users(['reset-password', alice.email, '--json'], { MAIL_TRANSPORT: 'log', FRONTEND_URL: 'https://shop.example.com/' });
    expectExit(sent, 0);
    expect(sent.json<UserJson>().id).toBe(alice.id);
    const [, uid, token] = /https:\/\/shop\.example\.com\/reset-password\/([^/]+)\/([^/]+)\//.exec(sent.stderr) ?? [];
    expect(sent.stderr).toContain(`To: ${alice.email}`);
    const password = `${STRONG_PASSWORD}-new`;
    const confirmed = await request(api.app).post('/api/v1/auth/password/reset/confirm/').send({ uid, token, new_password: password, new_password_confirm: password });
    expect(confirmed.status).toBe(200);
    expect((await login({ ...alice, password })).status).toBe(200);
    expect(await audit('user.password_reset_sent')).toHaveLength(1);
  });

  it('When the audit log is written to by anyone, then the database refuses to change or delete it', async () => {
    await expect(api.db('audit_log').update({ actor: 'someone else' })).rejects.toThrow(/append-only/);
    await expect(api.db('audit_log').delete()).rejects.toThrow(/append-only/);
    expect(await api.db('audit_log').where({ actor: 'someone else' })).toEqual([]);
  });

  it('When a staff member acts on their own account, then deactivating or demoting it is refused (own_account) and nothing changes', async () => {
    await makeStaff(api, bob.id);
    const admin = new UserAdminService({ db: api.db, sessions: new SessionRepository(api.db), audit: new AuditLog(api.db), resetLinks: { db: api.db, mailer: { send: async () => undefined }, urlTemplate: '{uid}{token}', ttlSeconds: 60 } });
    const self = { id: bob.id, label: bob.email, source: 'console' as const };
    await expect(admin.setActive(self, bob.id, false)).rejects.toMatchObject({ status: 409, code: 'own_account' });
    await expect(admin.setStaff(self, bob.email, false)).rejects.toMatchObject({ status: 409, code: 'own_account' });
    expect(await api.db('users').where({ id: bob.id }).first()).toMatchObject({ is_active: true, is_staff: true });
    // Another staff member may.
    expect(await admin.setStaff({ id: alice.id, label: alice.email, source: 'console' }, bob.id, false)).toMatchObject({ is_staff: false });
  });
});
