import jwt from 'jsonwebtoken';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { bearer, registerUser, STRONG_PASSWORD, type RegisteredUser } from '../../support/users';

const NEW_PASSWORD = 'Copper-Glacier-Orchid-64';

function accessError(message: string): Record<string, unknown> {
  return {
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
  };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The claims of a real token, to re-sign them in ways the API must refuse. */
function claimsOf(token: string): Record<string, unknown> {
  return jwt.decode(token) as Record<string, unknown>;
}

describe('tokens, sessions and profile', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const profile = (token: string, prefix = '/api/v1/auth') => request(api.app).get(`${prefix}/profile/`).set(bearer(token));
  const refresh = (token: string) => request(api.app).post('/api/v1/auth/token/refresh/').send({ refresh: token });
  const login = async (user: RegisteredUser, password = user.password) => {
    const response = await request(api.app).post('/api/v1/auth/login/').send({ email: user.email, password });
    return response;
  };

  describe('access tokens', () => {
    it('When a valid access token is sent, then the profile is the caller\'s own', async () => {
      const user = await registerUser(api);
      const response = await profile(user.access, '/api/v1/users');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        id: user.id,
        email: user.email,
        username: user.username,
        first_name: '',
        last_name: '',
        date_joined: expect.any(String),
      });
    });

    it('When no token is sent, then 401 not_authenticated with WWW-Authenticate', async () => {
      for (const headers of [{}, { Authorization: 'JWT abc' }, { Authorization: 'Basic dXNlcjpwYXNz' }]) {
        const response = await request(api.app).get('/api/v1/auth/profile/').set(headers);
        expect(response.status).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
        expect(response.body).toEqual({ detail: 'Authentication credentials were not provided.', code: 'not_authenticated' });
      }
    });

    it('When "Bearer" comes without a token or with extra parts, then 401 bad_authorization_header', async () => {
      for (const value of ['Bearer', 'Bearer a b']) {
        const response = await request(api.app).get('/api/v1/auth/profile/').set('Authorization', value);
        expect(response.status).toBe(401);
        expect(response.body).toEqual({ detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' });
      }
    });

    it('When the token is garbage, foreign-signed, alg none or HS512, then 401 token_not_valid, even on a public endpoint', async () => {
      const user = await registerUser(api);
      const claims = claimsOf(user.access);
      const forged = [
        'not-a-jwt',
        'a.b.c',
        jwt.sign(claims, 'some-other-secret-of-sufficient-length-123', { algorithm: 'HS256' }),
        `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`,
        jwt.sign(claims, api.config.jwt.secret, { algorithm: 'HS512' }),
        jwt.sign({ ...claims, user_id: String(user.id) }, api.config.jwt.secret, { algorithm: 'HS256' }),
      ];
      for (const token of forged) {
        const attempts = [
          request(api.app).get('/api/v1/auth/profile/'),
          request(api.app).get('/api/v1/users/'),
          request(api.app).post('/api/v1/auth/login/').send({ email: user.email, password: user.password }),
          request(api.app).post('/api/v1/users/register/').send({}),
        ];
        for (const attempt of attempts) {
          const response = await attempt.set(bearer(token));
          expect(response.status).toBe(401);
          expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
          expect(response.body).toEqual(accessError('Token is invalid'));
        }
      }
    });

    it('When a bad token comes with a refresh request, then it is ignored and the refresh still works', async () => {
      const user = await registerUser(api);
      const response = await refresh(user.refresh).set(bearer('expired-or-garbage'));
      expect(response.status).toBe(200);
      expect(response.body.access).toEqual(expect.any(String));
    });

    it('When a refresh token is used as an access token, then 401 "Token has wrong type"', async () => {
      const user = await registerUser(api);
      const response = await profile(user.refresh);
      expect(response.status).toBe(401);
      expect(response.body).toEqual(accessError('Token has wrong type'));
    });

    it('When the token\'s user is inactive or deleted, then 401 user_inactive / user_not_found', async () => {
      const inactive = await registerUser(api);
      await api.db('users').where({ id: inactive.id }).update({ is_active: false });
      const inactiveResponse = await profile(inactive.access);
      expect(inactiveResponse.status).toBe(401);
      expect(inactiveResponse.body).toEqual({ detail: 'User is inactive', code: 'user_inactive' });

      const deleted = await registerUser(api);
      await api.db('users').where({ id: deleted.id }).delete();
      const deletedResponse = await profile(deleted.access);
      expect(deletedResponse.status).toBe(401);
      expect(deletedResponse.body).toEqual({ detail: 'User not found', code: 'user_not_found' });
    });
  });

  describe('refresh rotation', () => {
    it('When a refresh token is rotated, then a new working pair comes back and the old refresh token is refused', async () => {
      const user = await registerUser(api);
      const rotated = await refresh(user.refresh);
      expect(rotated.status).toBe(200);
      expect(Object.keys(rotated.body).sort()).toEqual(['access', 'refresh']);
      expect(rotated.body.refresh).not.toBe(user.refresh);
      expect((await profile(rotated.body.access)).status).toBe(200);

      const reused = await refresh(user.refresh);
      expect(reused.status).toBe(401);
      expect(reused.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(reused.body).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
    });

    it('When a rotated refresh token is reused, then the whole family is revoked', async () => {
      const user = await registerUser(api);
      const other = await login(user);
      const first = await refresh(user.refresh);
      expect(first.status).toBe(200);

      expect((await refresh(user.refresh)).status).toBe(401); // reuse
      const descendant = await refresh(first.body.refresh);
      expect(descendant.status).toBe(401);
      expect(descendant.body.code).toBe('token_not_valid');
      const descendantAccess = await profile(first.body.access);
      expect(descendantAccess.status).toBe(401);
      expect(descendantAccess.body).toEqual(accessError('Token is blacklisted'));
      expect((await profile(user.access)).status).toBe(401);

      // Another login of the same user is another family and keeps working.
      expect((await profile(other.body.access)).status).toBe(200);
      expect((await refresh(other.body.refresh)).status).toBe(200);
      const session = await api.db('auth_sessions').where({ user_id: user.id }).whereNotNull('revoked_at').first();
      expect(session.revoked_reason).toBe('reuse_detected');
    });

    it('When an access token or garbage is sent to /token/refresh/, then 401; a missing field is 400', async () => {
      const user = await registerUser(api);
      const wrongType = await refresh(user.access);
      expect(wrongType.status).toBe(401);
      expect(wrongType.body).toEqual({ detail: 'Token has wrong type', code: 'token_not_valid' });

      const garbage = await refresh('garbage');
      expect(garbage.status).toBe(401);
      expect(garbage.body).toEqual({ detail: 'Token is invalid', code: 'token_not_valid' });

      const missing = await request(api.app).post('/api/v1/users/token/refresh/').send({});
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({ refresh: ['This field is required.'], code: 'invalid' });
      expect((await profile(user.access)).status).toBe(200);
    });
  });

  describe('logout', () => {
    it('When a user logs out, then 205 and that session\'s access and refresh tokens are refused, other sessions keep working', async () => {
      const user = await registerUser(api);
      const second = await login(user);
      const response = await request(api.app).post('/api/v1/auth/logout/').set(bearer(user.access)).send({ refresh_token: user.refresh });
      expect(response.status).toBe(205);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({ message: 'Successfully logged out' });

      expect((await profile(user.access)).status).toBe(401);
      const refreshed = await refresh(user.refresh);
      expect(refreshed.status).toBe(401);
      expect(refreshed.body.code).toBe('token_not_valid');
      expect((await profile(second.body.access)).status).toBe(200);
      expect((await refresh(second.body.refresh)).status).toBe(200);
    });

    it('When logout has no body, then it still ends the caller\'s session', async () => {
      const user = await registerUser(api);
      const response = await request(api.app).post('/api/v1/users/logout/').set(bearer(user.access));
      expect(response.status).toBe(205);
      expect(response.body).toEqual({ message: 'Successfully logged out' });
      expect((await profile(user.access)).status).toBe(401);
      expect((await refresh(user.refresh)).status).toBe(401);
    });

    it('When logout carries another user\'s refresh token, then only the caller is logged out', async () => {
      const caller = await registerUser(api);
      const victim = await registerUser(api);
      const response = await request(api.app).post('/api/v1/auth/logout/').set(bearer(caller.access)).send({ refresh_token: victim.refresh });
      expect(response.status).toBe(205);
      expect((await profile(victim.access)).status).toBe(200);
      expect((await refresh(victim.refresh)).status).toBe(200);
      expect((await profile(caller.access)).status).toBe(401);
    });

    it('When logout is called without a token, then 401', async () => {
      const response = await request(api.app).post('/api/v1/auth/logout/').send({});
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('not_authenticated');
    });
  });

  describe('password change', () => {
    const change = (token: string, body: Record<string, unknown>) =>
      request(api.app).post('/api/v1/auth/password/change/').set(bearer(token)).send(body);

    it('When the old password is wrong, then 400 old_password and nothing changes', async () => {
      const user = await registerUser(api);
      const response = await change(user.access, { old_password: 'Not-My-Password-00', new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ old_password: ['Old password is incorrect.'], code: 'password_incorrect' });
      expect((await profile(user.access)).status).toBe(200);
      expect((await login(user)).status).toBe(200);
    });

    it('When the new password is weak or mismatched, then 400 field errors', async () => {
      const user = await registerUser(api);
      const weak = await change(user.access, { old_password: user.password, new_password: 'password', new_password_confirm: 'password' });
      expect(weak.status).toBe(400);
      expect(weak.body).toEqual({ new_password: ['This password is too common.'], code: 'invalid' });
      const mismatch = await change(user.access, { old_password: user.password, new_password: NEW_PASSWORD, new_password_confirm: `${NEW_PASSWORD}x` });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body).toEqual({ non_field_errors: ["New passwords don't match."], code: 'invalid' });
    });

    it('When the password is changed, then every earlier session is revoked and only the new pair and password work', async () => {
      const user = await registerUser(api);
      const second = await login(user);
      const response = await change(user.access, { old_password: STRONG_PASSWORD, new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ message: 'Password changed successfully.', refresh: expect.any(String), access: expect.any(String) });

      for (const token of [user.access, second.body.access]) expect((await profile(token)).status).toBe(401);
      for (const token of [user.refresh, second.body.refresh]) expect((await refresh(token)).status).toBe(401);
      expect((await profile(response.body.access)).status).toBe(200);
      expect((await refresh(response.body.refresh)).status).toBe(200);

      const oldLogin = await login(user);
      expect(oldLogin.status).toBe(401);
      expect(oldLogin.body.code).toBe('authentication_failed');
      expect((await login(user, NEW_PASSWORD)).status).toBe(200);
    });
  });

  describe('profile update', () => {
    const update = (token: string, body: Record<string, unknown>, method: 'patch' | 'put' = 'patch') =>
      request(api.app)[method]('/api/v1/auth/profile/update/').set(bearer(token)).send(body);

    it('When username and names are patched, then 200 returns the profile and email and id are ignored', async () => {
      const user = await registerUser(api);
      const other = await registerUser(api);
      const response = await update(user.access, {
        username: `renamed_${user.id}`,
        first_name: 'Grace',
        last_name: 'Hopper',
        email: other.email,
        id: other.id,
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: user.id, email: user.email, username: `renamed_${user.id}`, first_name: 'Grace', last_name: 'Hopper' });
      const otherProfile = await profile(other.access);
      expect(otherProfile.body).toMatchObject({ id: other.id, email: other.email, username: other.username, first_name: '' });
    });

    it('When only one field is patched, then the others stay', async () => {
      const user = await registerUser(api);
      await update(user.access, { first_name: 'Linus', last_name: 'Torvalds' });
      const response = await update(user.access, { last_name: 'Pauling' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ username: user.username, first_name: 'Linus', last_name: 'Pauling' });
    });

    it('When the username is taken (in any case) or malformed, then 400', async () => {
      const user = await registerUser(api);
      const other = await registerUser(api);
      const taken = await update(user.access, { username: other.username.toUpperCase() });
      expect(taken.status).toBe(400);
      expect(taken.body).toEqual({ username: ['A user with that username already exists.'], code: 'unique' });
      const malformed = await update(user.access, { username: 'no spaces allowed' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.username).toHaveLength(1);
      expect((await profile(user.access)).body.username).toBe(user.username);

      const ownCase = await update(user.access, { username: user.username.toUpperCase() });
      expect(ownCase.status).toBe(200);
      expect(ownCase.body.username).toBe(user.username.toUpperCase());
    });

    it('When PUT is used, then 405 with Allow; anonymous PATCH is 401', async () => {
      const user = await registerUser(api);
      const put = await update(user.access, { first_name: 'X' }, 'put');
      expect(put.status).toBe(405);
      expect(put.headers.allow).toContain('PATCH');
      expect(put.body).toEqual({ detail: 'Method "PUT" not allowed.', code: 'method_not_allowed' });
      const anonymous = await request(api.app).patch('/api/v1/auth/profile/update/').send({ first_name: 'X' });
      expect(anonymous.status).toBe(401);
    });
  });

  describe('expiry (moving the clock)', () => {
    let timed: TestApi;

    beforeAll(async () => {
      timed = await startTestApi();
    });
    afterAll(() => timed.close());

    it('When 901 seconds pass, then the access token is expired but the refresh token still rotates', async () => {
      const user = await registerUser(timed);
      timed.clock.advance(901);
      const expired = await request(timed.app).get('/api/v1/auth/profile/').set(bearer(user.access));
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('token_not_valid');
      expect(expired.body.messages[0].message).toBe('Token is expired');

      const rotated = await request(timed.app).post('/api/v1/auth/token/refresh/').send({ refresh: user.refresh });
      expect(rotated.status).toBe(200);
      expect((await request(timed.app).get('/api/v1/auth/profile/').set(bearer(rotated.body.access))).status).toBe(200);
    });

    it('When more than 7 days pass, then the refresh token is expired', async () => {
      const user = await registerUser(timed);
      timed.clock.advance(7 * 24 * 3600 + 1);
      const response = await request(timed.app).post('/api/v1/auth/token/refresh/').send({ refresh: user.refresh });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ detail: 'Token is expired', code: 'token_not_valid' });
    });
  });
});
