import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { bearer, registerUser } from '../../support/users';

const REGISTER = '/api/v1/auth/register/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LEAKS = [/\bat \//, /node_modules/, /\bSELECT\b/i, /\bINSERT\b/i, /\.ts:\d+/, /Error: /];

/** No stack trace, source path or SQL may reach a client. */
function expectClean(response: request.Response): void {
  const text = response.text ?? '';
  for (const leak of LEAKS) expect(text).not.toMatch(leak);
}

function expectJsonError(response: request.Response, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.body.code).toBe(code);
  expectClean(response);
}

describe('the error pipeline', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  describe('request bodies', () => {
    it('When the JSON is malformed, then 400 parse_error with a "JSON parse error - " detail', async () => {
      const response = await request(api.app).post(REGISTER).set('Content-Type', 'application/json').send('{"email": "a@b.c",');
      expectJsonError(response, 400, 'parse_error');
      expect(Object.keys(response.body)).toEqual(['detail', 'code']);
      expect(response.body.detail).toMatch(/^JSON parse error - \S/);
    });

    it('When the body is XML, then 415 naming the media type', async () => {
      const response = await request(api.app).post(REGISTER).set('Content-Type', 'application/xml').send('<user><email>a@b.c</email></user>');
      expectJsonError(response, 415, 'unsupported_media_type');
      expect(response.body).toEqual({ detail: 'Unsupported media type "application/xml" in request.', code: 'unsupported_media_type' });
    });

    it('When the JSON charset is not supported, then 415 rather than garbage', async () => {
      const response = await request(api.app).post(REGISTER).set('Content-Type', 'application/json; charset=klingon').send('{}');
      expectJsonError(response, 415, 'unsupported_media_type');
    });

    it('When the content encoding is unknown, then 415', async () => {
      const response = await request(api.app).post(REGISTER).set('Content-Type', 'application/json').set('Content-Encoding', 'zstd-ish').send('{}');
      expectJsonError(response, 415, 'unsupported_media_type');
    });

    it('When the body is a JSON array, string or number, then 400 with non_field_errors', async () => {
      const cases: [string, string][] = [
        ['[]', 'list'],
        ['[{"email":"a@b.c"}]', 'list'],
        ['"register me"', 'str'],
        ['42', 'int'],
        ['true', 'bool'],
      ];
      for (const [body, pythonType] of cases) {
        const response = await request(api.app).post(REGISTER).set('Content-Type', 'application/json').send(body);
        expectJsonError(response, 400, 'invalid');
        expect(response.body).toEqual({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonType}.`], code: 'invalid' });
      }
    });

    it('When fields have the wrong types, then 400 per field', async () => {
      const response = await request(api.app)
        .post(REGISTER)
        .send({ email: ['a@b.c'], username: { $ne: null }, password: 12345678, password_confirm: null });
      expectJsonError(response, 400, 'invalid');
      expect(response.body).toMatchObject({
        email: ['Not a valid string.'],
        username: ['Not a valid string.'],
        password: ['Not a valid string.'],
        password_confirm: ['This field may not be null.'],
      });
    });

    it('When the JSON is nested very deeply, then 400 and never 500', async () => {
      const depth = 50_000;
      const deepArray = '['.repeat(depth) + ']'.repeat(depth);
      const deepField = `{"email":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)},"username":"x"}`;
      for (const body of [deepArray, deepField]) {
        const response = await request(api.app).post(REGISTER).set('Content-Type', 'application/json').send(body);
        expect(response.status).toBe(400);
        expectClean(response);
      }
    });

    it('When fields hold huge strings, then 400 with length messages and never 500', async () => {
      const huge = 'a'.repeat(150_000);
      const response = await request(api.app)
        .post(REGISTER)
        .send({ email: `${huge}@example.com`, username: huge, first_name: huge, password: huge, password_confirm: huge });
      expectJsonError(response, 400, 'invalid');
      expect(response.body.username).toEqual(['Ensure this field has no more than 150 characters.']);
      expect(response.body.password).toEqual(['Ensure this field has no more than 128 characters.']);
      expect(response.text.length).toBeLessThan(2_000);
    });

    it('When injection strings are sent as values, then they are plain invalid input', async () => {
      const response = await request(api.app)
        .post('/api/v1/auth/login/')
        .send({ email: "' OR 1=1; --", password: "'; DROP TABLE users; --" });
      expectJsonError(response, 400, 'invalid');
      expect(response.body).toEqual({ email: ['Enter a valid email address.'], code: 'invalid' });
      expect((await request(api.app).get('/health/readiness/')).status).toBe(200);
    });

    it('When a form has too many parameters or a multipart body is sent outside the uploads, then a 4xx', async () => {
      const params = Array.from({ length: 500 }, (_, index) => `f${index}=x`).join('&');
      const tooMany = await request(api.app).post(REGISTER).type('form').send(params);
      expectJsonError(tooMany, 413, 'payload_too_large');
      const withFile = await request(api.app).post(REGISTER).field('email', 'a@b.c').attach('avatar', Buffer.from('GIF89a'), 'a.gif');
      expectJsonError(withFile, 415, 'unsupported_media_type');
    });
  });

  describe('routing and negotiation', () => {
    it('When the client accepts only text/html on an API route, then 406', async () => {
      const response = await request(api.app).get('/api/v1/health/').set('Accept', 'text/html');
      expectJsonError(response, 406, 'not_acceptable');
      expect(response.body.detail).toBe('Could not satisfy the request Accept header.');
      expect((await request(api.app).get('/health/liveness/').set('Accept', 'text/html')).status).toBe(406);
      expect((await request(api.app).get('/api/v1/health/').set('Accept', 'text/html, application/json;q=0.5')).status).toBe(200);
    });

    it('When the route does not exist, then 404 JSON for any method', async () => {
      const attempts = [
        request(api.app).get('/nope/'),
        request(api.app).get('/api/v1/nope/'),
        request(api.app).get('/api/v1/auth/addresses/1/set-default/'),
        request(api.app).post('/api/v2/anything').send({ a: 1 }),
        request(api.app).delete('/wp-admin/'),
        request(api.app).put('/api/v1/auth/nothing/'),
        request(api.app).propfind('/api/v1/nope/'),
        request(api.app).get('/nope/').set('Accept', 'text/html'),
        request(api.app).get('/%E0%A4%A'),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(404);
        expect(response.body).toEqual({ detail: 'Not found.', code: 'not_found' });
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        expectClean(response);
      }
    });

    it('When a known path gets the wrong method, then 405 with Allow', async () => {
      const put = await request(api.app).put(REGISTER).send({});
      expectJsonError(put, 405, 'method_not_allowed');
      expect(put.body.detail).toBe('Method "PUT" not allowed.');
      expect(put.headers.allow).toBe('POST, OPTIONS');
      const get = await request(api.app).get('/api/v1/users/login/');
      expectJsonError(get, 405, 'method_not_allowed');
      expect(get.body.detail).toBe('Method "GET" not allowed.');
      const profilePut = await request(api.app).put('/api/v1/auth/profile/update/').send({});
      expect(profilePut.status).toBe(405);
      expect(profilePut.headers.allow).toBe('PATCH, OPTIONS');
    });

    it('When OPTIONS is sent to a known path, then 204 with Allow', async () => {
      const addresses = await request(api.app).options('/api/v1/auth/addresses/');
      expect(addresses.status).toBe(204);
      expect(addresses.headers.allow).toBe('GET, HEAD, POST, OPTIONS');
      const detail = await request(api.app).options('/api/v1/users/addresses/7/');
      expect(detail.status).toBe(204);
      expect(detail.headers.allow).toBe('GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
    });
  });

  describe('request ids', () => {
    it('When any response is sent, then it carries an X-Request-ID', async () => {
      const responses = await Promise.all([
        request(api.app).get('/health/liveness/'),
        request(api.app).get('/nope/'),
        request(api.app).put(REGISTER),
        request(api.app).options(REGISTER),
        request(api.app).post(REGISTER).set('Content-Type', 'application/json').send('{'),
        request(api.app).get('/api/v1/docs/'),
        request(api.app).get('/api/v1/auth/profile/'),
      ]);
      for (const response of responses) expect(response.headers['x-request-id']).toMatch(UUID);
      expect(new Set(responses.map((response) => response.headers['x-request-id'])).size).toBe(responses.length);
    });

    it('When a valid X-Request-ID is sent, then it is echoed and appears in the logs', async () => {
      const id = `trace-${randomBytes(6).toString('hex')}`;
      const response = await request(api.app).get('/api/v1/auth/profile/').set('X-Request-ID', id);
      expect(response.status).toBe(401);
      expect(response.headers['x-request-id']).toBe(id);
      const lines = api.logs().filter((line) => line.reqId === id);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.some((line) => line.url === '/api/v1/auth/profile/')).toBe(true);
    });

    it('When an invalid X-Request-ID is sent, then a fresh id replaces it', async () => {
      for (const bad of ['has spaces in it', 'a'.repeat(300), '<script>alert(1)</script>', 'id;rm -rf /']) {
        const response = await request(api.app).get('/health/liveness/').set('X-Request-ID', bad);
        expect(response.status).toBe(200);
        expect(response.headers['x-request-id']).toMatch(UUID);
      }
      expect(JSON.stringify(api.logs())).not.toContain('has spaces in it');
    });
  });

  it('When a user registers, logs in, refreshes, changes password and logs out, then no password or token is logged', async () => {
    const password = `Lantern-${randomBytes(6).toString('hex')}-Quartz`;
    const newPassword = `Harbor-${randomBytes(6).toString('hex')}-Velvet`;
    const wrongPassword = `Wrong-${randomBytes(6).toString('hex')}-Guess`;
    const user = await registerUser(api, { password });
    const secrets = [password, newPassword, wrongPassword, user.access, user.refresh];

    const wrong = await request(api.app).post('/api/v1/auth/login/').send({ email: user.email, password: wrongPassword });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    const login = await request(api.app).post('/api/v1/users/login/').send({ email: user.email, password });
    expect(login.status).toBe(200);
    const refreshed = await request(api.app).post('/api/v1/auth/token/refresh/').send({ refresh: login.body.refresh });
    expect(refreshed.status).toBe(200);
    const changed = await request(api.app)
      .post('/api/v1/auth/password/change/')
      .set(bearer(refreshed.body.access))
      .send({ old_password: password, new_password: newPassword, new_password_confirm: newPassword });
    expect(changed.status).toBe(200);
    const logout = await request(api.app)
      .post('/api/v1/auth/logout/')
      .set(bearer(changed.body.access))
      .send({ refresh_token: changed.body.refresh });
    expect(logout.status).toBe(205);
    const reused = await request(api.app).get('/api/v1/auth/profile/').set(bearer(changed.body.access));
    expect(reused.status).toBe(401);
    secrets.push(login.body.access, login.body.refresh, refreshed.body.access, refreshed.body.refresh, changed.body.access, changed.body.refresh);

    const lines = api.logs();
    const raw = JSON.stringify(lines);
    expect(lines.some((line) => line.url === '/api/v1/auth/logout/')).toBe(true);
    for (const secret of secrets) {
      expect(typeof secret).toBe('string');
      expect(raw).not.toContain(secret);
      // A JWT's signature alone is enough to be a leak.
      expect(raw).not.toContain(secret.split('.').pop() as string);
    }
  });
});

describe('the body size limit', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ BODY_LIMIT: '1kb' });
  });
  afterAll(() => api.close());

  it('When a JSON body exceeds BODY_LIMIT, then 413 payload_too_large', async () => {
    const response = await request(api.app).post(REGISTER).send({ email: 'a@b.c', username: 'x'.repeat(2_000) });
    expectJsonError(response, 413, 'payload_too_large');
    expect(response.headers['x-request-id']).toMatch(UUID);
  });

  it('When a form body exceeds BODY_LIMIT, then 413 too', async () => {
    const response = await request(api.app).post(REGISTER).type('form').send({ email: 'a@b.c', username: 'x'.repeat(2_000) });
    expectJsonError(response, 413, 'payload_too_large');
  });

  it('When a body is under the limit, then it is parsed as usual', async () => {
    const response = await request(api.app).post(REGISTER).send({});
    expectJsonError(response, 400, 'invalid');
    expect(response.body.email).toEqual(['This field is required.']);
  });
});
