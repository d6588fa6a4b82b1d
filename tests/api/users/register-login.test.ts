import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { bearer, registerUser, STRONG_PASSWORD } from '../../support/users';

const REQUIRED = 'This field is required.';
const INVALID_EMAIL = 'Enter a valid email address.';
const INVALID_USERNAME = 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';
const INVALID_CREDENTIALS = 'Invalid email or password.';

function unique(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

function newAccount(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const id = unique('');
  return {
    email: `buyer-${id}@example.com`,
    username: `buyer_${id}`,
    first_name: 'Ada',
    last_name: 'Lovelace',
    password: STRONG_PASSWORD,
    password_confirm: STRONG_PASSWORD,
    ...overrides,
  };
}

describe('registration and login', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const register = (body: unknown, prefix = '/api/v1/auth') => request(api.app).post(`${prefix}/register/`).send(body as object);
  const login = (body: unknown, prefix = '/api/v1/auth') => request(api.app).post(`${prefix}/login/`).send(body as object);
  const userCount = async () => Number((await api.db('users').count({ n: '*' }).first())?.n);

  describe('register', () => {
    it('When a valid account is posted, then 201 returns the user and a working token pair', async () => {
      const body = newAccount();
      const response = await register(body);
      expect(response.status).toBe(201);
      expect(Object.keys(response.body)).toEqual(['user', 'refresh', 'access']);
      expect(response.body.user).toEqual({
        id: expect.any(Number),
        email: body.email,
        username: body.username,
        first_name: 'Ada',
        last_name: 'Lovelace',
        date_joined: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      });
      expect(response.body.user).not.toHaveProperty('password');
      expect(response.body.user).not.toHaveProperty('password_hash');

      const profile = await request(api.app).get('/api/v1/auth/profile/').set(bearer(response.body.access));
      expect(profile.status).toBe(200);
      expect(profile.body).toEqual(response.body.user);
      const row = await api.db('users').where({ id: response.body.user.id }).first();
      expect(row.password_hash).not.toContain(STRONG_PASSWORD);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
    });

    it('When the email has an upper-case domain, then only the domain is lower-cased', async () => {
      const local = unique('Mixed.Case.');
      const response = await register(newAccount({ email: `${local}@Example.COM` }));
      expect(response.status).toBe(201);
      expect(response.body.user.email).toBe(`${local}@example.com`);
    });

    it('When the body is empty, then 400 lists every required field', async () => {
      const response = await register({});
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        email: [REQUIRED],
        username: [REQUIRED],
        password: [REQUIRED],
        password_confirm: [REQUIRED],
        code: 'invalid',
      });
    });

    it('When the email is malformed, then 400 "Enter a valid email address." and no user is created', async () => {
      const before = await userCount();
      for (const email of ['not-an-email', 'a@', '@example.com', "admin'--"]) {
        const response = await register(newAccount({ email }));
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ email: [INVALID_EMAIL], code: 'invalid' });
      }
      expect(await userCount()).toBe(before);
    });

    it('When the username has forbidden characters, then 400 with the Django username message', async () => {
      for (const username of ['has space', 'semi;colon', "robert'); DROP TABLE users;--", '<b>bold</b>']) {
        const response = await register(newAccount({ username }));
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ username: [INVALID_USERNAME], code: 'invalid' });
      }
    });

    it.each([
      ['too short', 'Ab1-xyz', ['This password is too short. It must contain at least 8 characters.']],
      ['too common', 'password', ['This password is too common.']],
      ['entirely numeric', '90417352861', ['This password is entirely numeric.']],
      [
        'short, common and numeric',
        '1234567',
        ['This password is too short. It must contain at least 8 characters.', 'This password is too common.', 'This password is entirely numeric.'],
      ],
    ])('When the password is %s, then 400 with the password messages', async (_case, password, messages) => {
      const response = await register(newAccount({ password, password_confirm: password }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ password: messages, code: 'invalid' });
    });

    it('When the password resembles the username, then 400 "too similar"', async () => {
      const response = await register(newAccount({ username: unique('lanternkeeper_'), password: 'lanternkeeper42!', password_confirm: 'lanternkeeper42!' }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ password: ['The password is too similar to the username.'], code: 'invalid' });
    });

    it('When only the confirmation differs, then 400 with non_field_errors', async () => {
      const response = await register(newAccount({ password_confirm: 'Another-Strong-Phrase-77' }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ non_field_errors: ["Passwords don't match."], code: 'invalid' });
    });

    it('When the confirmation differs and another field is invalid, then only the field error is reported', async () => {
      const badEmail = await register(newAccount({ email: 'nope', password_confirm: 'Another-Strong-Phrase-77' }));
      expect(badEmail.status).toBe(400);
      expect(badEmail.body).toEqual({ email: [INVALID_EMAIL], code: 'invalid' });

      const weak = await register(newAccount({ password: 'password', password_confirm: 'Another-Strong-Phrase-77' }));
      expect(weak.status).toBe(400);
      expect(weak.body).toEqual({ password: ['This password is too common.'], code: 'invalid' });
    });

    it('When the email exists in a different case, then 400 "user with this email already exists."', async () => {
      const first = newAccount({ email: `${unique('Case.Owner.')}@example.com` });
      expect((await register(first)).status).toBe(201);
      const before = await userCount();
      const response = await register(newAccount({ email: String(first.email).toUpperCase() }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ email: ['user with this email already exists.'], code: 'unique' });
      expect(await userCount()).toBe(before);
    });

    it('When the username exists in a different case, then 400 "A user with that username already exists."', async () => {
      const first = newAccount({ username: unique('Tide_Keeper_') });
      expect((await register(first)).status).toBe(201);
      const response = await register(newAccount({ username: String(first.username).toLowerCase() }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ username: ['A user with that username already exists.'], code: 'unique' });
    });

    it('When both email and username are taken, then both fields are reported at once', async () => {
      const first = newAccount();
      expect((await register(first)).status).toBe(201);
      const response = await register(newAccount({ email: first.email, username: first.username }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        email: ['user with this email already exists.'],
        username: ['A user with that username already exists.'],
        code: 'unique',
      });
    });

    it('When privileged or read-only fields are posted, then they are ignored and the user is not staff', async () => {
      const response = await register(newAccount({ is_staff: true, is_superuser: true, is_active: false, id: 999_999, date_joined: '2001-01-01T00:00:00Z' }));
      expect(response.status).toBe(201);
      expect(response.body.user.id).not.toBe(999_999);
      expect(response.body.user.date_joined).not.toMatch(/^2001-/);
      const row = await api.db('users').where({ id: response.body.user.id }).first();
      expect(row).toMatchObject({ is_staff: false, is_superuser: false, is_active: true });
    });

    it('When the body is form-urlencoded, then registration works the same', async () => {
      const body = newAccount();
      const response = await request(api.app).post('/api/v1/users/register/').type('form').send(body);
      expect(response.status).toBe(201);
      expect(response.body.user.email).toBe(body.email);
    });

    it.each([
      ['email is a number', { email: 123 }, { email: ['Not a valid string.'] }],
      ['password is a list', { password: [], password_confirm: [] }, { password: ['Not a valid string.'], password_confirm: ['Not a valid string.'] }],
      ['username is an object', { username: { $ne: null } }, { username: ['Not a valid string.'] }],
      ['email is null', { email: null }, { email: ['This field may not be null.'] }],
      ['first_name is a boolean', { first_name: true }, { first_name: ['Not a valid string.'] }],
    ])('When %s, then 400 with a field error, not 500', async (_case, overrides, errors) => {
      const response = await register(newAccount(overrides));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ ...errors, code: 'invalid' });
    });

    it('When the JSON body is a list, a string or malformed, then 400', async () => {
      const list = await register([newAccount()]);
      expect(list.status).toBe(400);
      expect(list.body).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'], code: 'invalid' });

      const text = await request(api.app).post('/api/v1/auth/register/').set('Content-Type', 'application/json').send('"hello"');
      expect(text.status).toBe(400);
      expect(text.body.non_field_errors).toEqual(['Invalid data. Expected a dictionary, but got str.']);

      const broken = await request(api.app).post('/api/v1/auth/register/').set('Content-Type', 'application/json').send('{"email":');
      expect(broken.status).toBe(400);
      expect(broken.body.code).toBe('parse_error');
    });

    it('When names contain HTML and SQL, then they are stored verbatim and returned as JSON data', async () => {
      const html = '<script>alert("x")</script>';
      const sql = "Robert'); DROP TABLE users;--";
      const response = await register(newAccount({ first_name: html, last_name: sql }));
      expect(response.status).toBe(201);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body.user).toMatchObject({ first_name: html, last_name: sql });
      const row = await api.db('users').where({ id: response.body.user.id }).first();
      expect(row).toMatchObject({ first_name: html, last_name: sql });
      expect(await userCount()).toBeGreaterThan(0);
    });
  });

  describe('login', () => {
    it('When the credentials are right, then 200 returns refresh, access and user, and last_login is set', async () => {
      const user = await registerUser(api);
      const before = await api.db('users').where({ id: user.id }).first();
      expect(before.last_login).toBeNull();

      const response = await login({ email: user.email, password: user.password });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['refresh', 'access', 'user']);
      expect(response.body.user).toMatchObject({ id: user.id, email: user.email, username: user.username });
      expect(response.body.access).not.toBe(response.body.refresh);

      const after = await api.db('users').where({ id: user.id }).first();
      expect(after.last_login).toEqual(expect.any(String));
      expect(Math.abs(new Date(after.last_login as string).getTime() - Date.now())).toBeLessThan(60_000);
      const profile = await request(api.app).get('/api/v1/auth/profile/').set(bearer(response.body.access));
      expect(profile.status).toBe(200);
      expect(profile.body.id).toBe(user.id);
    });

    it('When the email differs only in case, then login still succeeds', async () => {
      const user = await registerUser(api);
      const response = await login({ email: user.email.toUpperCase(), password: user.password });
      expect(response.status).toBe(200);
      expect(response.body.user.id).toBe(user.id);
    });

    it('When the password is wrong, the email unknown or the user inactive, then all get the same 401', async () => {
      const user = await registerUser(api);
      const inactive = await registerUser(api);
      await api.db('users').where({ id: inactive.id }).update({ is_active: false });

      const answers = await Promise.all([
        login({ email: user.email, password: 'Wrong-Password-Entirely-1' }),
        login({ email: `nobody-${unique('')}@example.com`, password: user.password }),
        login({ email: inactive.email, password: inactive.password }),
      ]);
      for (const response of answers) {
        expect(response.status).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
        expect(response.body).toEqual({ detail: INVALID_CREDENTIALS, code: 'authentication_failed', non_field_errors: [INVALID_CREDENTIALS] });
      }
      const sessions = await api.db('auth_sessions').whereIn('user_id', [user.id, inactive.id]).count({ n: '*' }).first();
      expect(Number(sessions?.n)).toBe(2); // only the two registrations
    });

    it('When fields are missing or the wrong one is sent, then 400 field errors', async () => {
      const empty = await login({});
      expect(empty.status).toBe(400);
      expect(empty.body).toEqual({ email: [REQUIRED], password: [REQUIRED], code: 'invalid' });

      const byUsername = await login({ username: 'someone', password: STRONG_PASSWORD });
      expect(byUsername.status).toBe(400);
      expect(byUsername.body).toEqual({ email: [REQUIRED], code: 'invalid' });

      const badEmail = await login({ email: 'nope', password: STRONG_PASSWORD });
      expect(badEmail.status).toBe(400);
      expect(badEmail.body).toEqual({ email: [INVALID_EMAIL], code: 'invalid' });
    });

    it('When credentials have wrong types, then 400 rather than 500', async () => {
      const response = await login({ email: 123, password: [] });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ email: ['Not a valid string.'], password: ['Not a valid string.'], code: 'invalid' });
      const object = await login({ email: { $gt: '' }, password: { $ne: null } });
      expect(object.status).toBe(400);
    });

    it('When SQL injection is tried in the credentials, then it is refused without a 500', async () => {
      const user = await registerUser(api);
      const inEmail = await login({ email: "x@example.com' OR '1'='1", password: 'anything' });
      expect(inEmail.status).toBe(400);
      expect(inEmail.body.email).toEqual([INVALID_EMAIL]);
      const inPassword = await login({ email: user.email, password: "' OR '1'='1' --" });
      expect(inPassword.status).toBe(401);
      expect(inPassword.body.code).toBe('authentication_failed');
    });

    it('When the body is form-urlencoded, then login works the same', async () => {
      const user = await registerUser(api);
      const response = await request(api.app).post('/api/v1/auth/login/').type('form').send({ email: user.email, password: user.password });
      expect(response.status).toBe(200);
      expect(response.body.user.id).toBe(user.id);
    });
  });

  describe('both mounts', () => {
    it('When registering under /users/ and logging in under either prefix, then both answer identically', async () => {
      const body = newAccount();
      const registered = await register(body, '/api/v1/users');
      expect(registered.status).toBe(201);

      for (const prefix of ['/api/v1/auth', '/api/v1/users']) {
        const response = await login({ email: body.email, password: body.password }, prefix);
        expect(response.status).toBe(200);
        expect(response.body.user).toEqual(registered.body.user);
        const profile = await request(api.app).get(`${prefix}/profile/`).set(bearer(response.body.access));
        expect(profile.status).toBe(200);
        expect(profile.body).toEqual(registered.body.user);
      }
    });

    it('When the same bad input goes to each mount, then the errors are identical', async () => {
      const viaAuth = await register({ email: 'bad' }, '/api/v1/auth');
      const viaUsers = await register({ email: 'bad' }, '/api/v1/users');
      expect(viaAuth.status).toBe(400);
      expect(viaUsers.status).toBe(400);
      expect(viaUsers.body).toEqual(viaAuth.body);

      const wrongAuth = await login({ email: 'nobody@example.com', password: 'x' }, '/api/v1/auth');
      const wrongUsers = await login({ email: 'nobody@example.com', password: 'x' }, '/api/v1/users');
      expect(wrongAuth.status).toBe(401);
      expect(wrongUsers.body).toEqual(wrongAuth.body);
    });
  });
});
