import { createHash, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { bearer, registerUser, STRONG_PASSWORD } from '../../support/users';

const EMAIL_TAKEN = { email: ['user with this email already exists.'], code: 'unique' };

function suffix(): string {
  return randomBytes(4).toString('hex');
}

describe('concurrent account and session operations', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const register = (email: string, username: string) =>
    request(api.app).post('/api/v1/auth/register/').send({ email, username, password: STRONG_PASSWORD, password_confirm: STRONG_PASSWORD });
  const usersWithEmail = async (email: string) => api.db('users').whereRaw('lower(email) = lower(?)', [email]);
  const statuses = (responses: request.Response[]) => responses.map((response) => response.status).sort();

  it('When the same email registers twice at once in different case, then exactly one account is created', async () => {
    const id = suffix();
    const responses = await Promise.all([
      register(`race-${id}@example.com`, `race_a_${id}`),
      register(`RACE-${id}@EXAMPLE.COM`, `race_b_${id}`),
    ]);
    expect(statuses(responses)).toEqual([201, 400]);
    const loser = responses.find((response) => response.status === 400);
    expect(loser?.body).toEqual(EMAIL_TAKEN);
    expect(await usersWithEmail(`race-${id}@example.com`)).toHaveLength(1);
  });

  it('When ten registrations of one email run in parallel, then one wins and nine get 400', async () => {
    const id = suffix();
    const email = `crowd-${id}@example.com`;
    const responses = await Promise.all(Array.from({ length: 10 }, (_, index) => register(email, `crowd_${index}_${id}`)));
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
    const losers = responses.filter((response) => response.status !== 201);
    expect(losers).toHaveLength(9);
    for (const loser of losers) {
      expect(loser.status).toBe(400);
      expect(loser.body).toEqual(EMAIL_TAKEN);
    }
    const rows = await usersWithEmail(email);
    expect(rows).toHaveLength(1);
    const winner = responses.find((response) => response.status === 201);
    expect(rows[0].id).toBe(winner?.body.user.id);
    // The losers left no session behind.
    const sessions = await api.db('auth_sessions').where({ user_id: rows[0].id });
    expect(sessions).toHaveLength(1);
  });

  it('When one refresh token is presented twice at once, then at most one rotation succeeds (repeated)', async () => {
    for (let round = 0; round < 5; round += 1) {
      const user = await registerUser(api);
      const responses = await Promise.all([
        request(api.app).post('/api/v1/auth/token/refresh/').send({ refresh: user.refresh }),
        request(api.app).post('/api/v1/users/token/refresh/').send({ refresh: user.refresh }),
      ]);
      const ok = responses.filter((response) => response.status === 200);
      expect(ok.length).toBeLessThanOrEqual(1);
      for (const response of responses.filter((candidate) => candidate.status !== 200)) {
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('token_not_valid');
      }
      // Whatever happened, the presented token is spent.
      expect((await request(api.app).post('/api/v1/auth/token/refresh/').send({ refresh: user.refresh })).status).toBe(401);
      const issued = await api.db('refresh_tokens as t').join('auth_sessions as s', 's.id', 't.session_id').where('s.user_id', user.id);
      expect(issued.length).toBeLessThanOrEqual(2); // the original plus at most one rotation
    }
  });

  it('When the same user logs in several times at once, then each login gets its own working session', async () => {
    const user = await registerUser(api);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => request(api.app).post('/api/v1/auth/login/').send({ email: user.email, password: user.password })),
    );
    expect(statuses(responses)).toEqual([200, 200, 200, 200, 200]);
    const sessionIds = responses.map((response) => (jwt.decode(response.body.access as string) as { sid: string }).sid);
    expect(new Set(sessionIds).size).toBe(5);
    expect(new Set(responses.map((response) => response.body.refresh as string)).size).toBe(5);
    const sessions = await api.db('auth_sessions').where({ user_id: user.id });
    expect(sessions).toHaveLength(6); // registration + five logins
    for (const response of responses) {
      expect((await request(api.app).get('/api/v1/auth/profile/').set(bearer(response.body.access as string))).status).toBe(200);
    }

    // Logging one of them out leaves the other four alone.
    const first = responses[0] as request.Response;
    expect((await request(api.app).post('/api/v1/auth/logout/').set(bearer(first.body.access as string))).status).toBe(205);
    const stillWorking = await Promise.all(
      responses.map((response) => request(api.app).get('/api/v1/auth/profile/').set(bearer(response.body.access as string))),
    );
    expect(stillWorking.map((response) => response.status)).toEqual([401, 200, 200, 200, 200]);
  });

  it('When two users claim the same new username at once, then one gets it and the other 400', async () => {
    const [alice, bob] = await Promise.all([registerUser(api), registerUser(api)]);
    const username = `wanted_${suffix()}`;
    const responses = await Promise.all([
      request(api.app).patch('/api/v1/auth/profile/update/').set(bearer(alice.access)).send({ username }),
      request(api.app).patch('/api/v1/auth/profile/update/').set(bearer(bob.access)).send({ username: username.toUpperCase() }),
    ]);
    expect(statuses(responses)).toEqual([200, 400]);
    expect(responses.find((response) => response.status === 400)?.body).toEqual({
      username: ['A user with that username already exists.'],
      code: 'unique',
    });
    expect(await api.db('users').whereRaw('lower(username) = lower(?)', [username])).toHaveLength(1);
  });

  it('When one reset token is confirmed twice at once, then exactly one confirmation succeeds', async () => {
    const user = await registerUser(api);
    const token = randomBytes(32).toString('base64url');
    await api.db('password_reset_tokens').insert({
      user_id: user.id,
      token_hash: createHash('sha256').update(token).digest('hex'),
      expires_at: api.db.raw("now() + interval '1 hour'"),
    });
    const uid = Buffer.from(String(user.id)).toString('base64url');
    const passwords = ['Granite-Willow-Beacon-41', 'Marble-Thistle-Falcon-58'];
    const responses = await Promise.all(
      passwords.map((password) =>
        request(api.app).post('/api/v1/auth/password/reset/confirm/').send({ uid, token, new_password: password, new_password_confirm: password }),
      ),
    );
    expect(statuses(responses)).toEqual([200, 400]);
    expect(responses.find((response) => response.status === 400)?.body.code).toBe('invalid_token');
    const winner = passwords[responses.findIndex((response) => response.status === 200)] as string;
    const loserPassword = passwords.find((password) => password !== winner) as string;
    const login = (password: string) => request(api.app).post('/api/v1/auth/login/').send({ email: user.email, password });
    expect((await login(winner)).status).toBe(200);
    expect((await login(loserPassword)).status).toBe(401);
  });
});
