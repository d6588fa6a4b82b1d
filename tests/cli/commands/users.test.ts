import request from 'supertest';
import { runNexus } from '../../support/cli';
import { startTestApi, type TestApi } from '../../support/api';

const PASSWORD = 'Granite-Orchard-Signal-58';

describe('nexus users create-admin', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const env = () => ({ DATABASE_URL: api.database.url });

  it('When the password is piped with --password-stdin, then a staff account is created and can log in', async () => {
    const result = await runNexus(['users', 'create-admin', '--email', 'Ops@Example.COM', '--password-stdin', '--json'], { env: env(), input: `${PASSWORD}\n` });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ email: 'Ops@example.com', username: 'Ops', promoted: false });
    const row = await api.db('users').where({ email: 'Ops@example.com' }).first();
    expect(row).toMatchObject({ is_staff: true, is_superuser: true, is_active: true });
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    const login = await request(api.app).post('/api/v1/auth/login/').send({ email: 'ops@example.com', password: PASSWORD });
    expect(login.status).toBe(200);
  });

  it('When no password source exists outside a terminal, then exit 2 names --password-stdin and nothing is created', async () => {
    const result = await runNexus(['users', 'create-admin', '--email', 'second@example.com'], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--password-stdin');
    expect(await api.db('users').where({ email: 'second@example.com' }).first()).toBeUndefined();
  });

  it('When no email is given outside a terminal, then exit 2 names --email', async () => {
    const result = await runNexus(['users', 'create-admin', '--password-stdin', '--json'], { env: env(), input: PASSWORD });
    expect(result.code).toBe(2);
    expect(result.json<{ error: { suggestions: string[] } }>().error.suggestions.join(' ')).toContain('--email');
  });

  it('When the password is weak or the email invalid, then exit 2 with the reason', async () => {
    const weak = await runNexus(['users', 'create-admin', '--email', 'weak@example.com', '--password-stdin'], { env: env(), input: 'password1' });
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('too common');
    const invalid = await runNexus(['users', 'create-admin', '--email', 'not-an-email', '--password-stdin'], { env: env(), input: PASSWORD });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('Error (USAGE): --email: Enter a valid email address; not "not-an-email".');
    const empty = await runNexus(['users', 'create-admin', '--email', 'empty@example.com', '--password-stdin'], { env: env(), input: '' });
    expect(empty.code).toBe(2);
  });

  it('When the email exists in another case, then exit 6 suggests --promote, which makes the account staff', async () => {
    const customer = await request(api.app)
      .post('/api/v1/auth/register/')
      .send({ email: 'shopper@example.com', username: 'shopper', password: PASSWORD, password_confirm: PASSWORD });
    expect(customer.status).toBe(201);

    const duplicate = await runNexus(['users', 'create-admin', '--email', 'SHOPPER@example.com', '--password-stdin'], { env: env(), input: PASSWORD });
    expect(duplicate.code).toBe(6);
    expect(duplicate.stderr).toContain('--promote');

    const promoted = await runNexus(['users', 'create-admin', '--email', 'Shopper@Example.com', '--promote', '--json'], { env: env() });
    expect(promoted.code).toBe(0);
    expect(promoted.json()).toMatchObject({ id: customer.body.user.id, promoted: true });
    expect(await api.db('users').where({ id: customer.body.user.id }).first()).toMatchObject({ is_staff: true });
  });

  it('When --promote names an unknown email, then it fails with exit 1', async () => {
    const result = await runNexus(['users', 'create-admin', '--email', 'ghost@example.com', '--promote', '--json'], { env: env() });
    expect(result.code).toBe(1);
    expect(result.json<{ error: { code: string } }>().error.code).toBe('ACCOUNT_NOT_FOUND');
  });
});
