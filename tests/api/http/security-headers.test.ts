import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { bearer, registerUser } from '../../support/users';

const ORIGIN = 'https://shop.example.com';

/** Every value a header was sent with (repeated headers would be joined by Node's parser otherwise). */
function headerValues(response: request.Response, name: string): string[] {
  const raw = (response as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
  const values: string[] = [];
  for (let index = 0; index < raw.length; index += 2) {
    if (raw[index]?.toLowerCase() === name.toLowerCase()) values.push(raw[index + 1] as string);
  }
  return values;
}

function single(response: request.Response, name: string): string {
  const values = headerValues(response, name);
  expect({ name, values: values.length }).toEqual({ name, values: 1 });
  return values[0] as string;
}

function directives(csp: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of csp.split(';').map((item) => item.trim()).filter(Boolean)) {
    const [name, ...sources] = part.split(/\s+/);
    map.set(name as string, sources);
  }
  return map;
}

function expectSecurityHeaders(response: request.Response): void {
  const csp = single(response, 'content-security-policy');
  expect(csp).not.toContain("'unsafe-eval'");
  const parsed = directives(csp);
  expect(parsed.get('frame-ancestors')).toEqual(["'none'"]);
  const scripts = parsed.get('script-src') ?? parsed.get('default-src') ?? [];
  expect(scripts).toContain("'self'");
  for (const source of scripts) expect(source).not.toMatch(/^'(unsafe-inline|unsafe-hashes|nonce-|sha\d+-)|^\*$|^data:|^https?:$/);
  expect(parsed.has('script-src-elem') || parsed.has('script-src-attr')).toBe(false);
  expect(parsed.get('object-src')).toEqual(["'none'"]);

  expect(single(response, 'x-frame-options')).toBe('DENY');
  expect(single(response, 'x-content-type-options')).toBe('nosniff');
  expect(single(response, 'referrer-policy')).toBe('strict-origin-when-cross-origin');
  expect(single(response, 'strict-transport-security')).toMatch(/^max-age=31536000; includeSubDomains/);
  expect(single(response, 'permissions-policy')).toBe('geolocation=(), microphone=(), camera=()');
  expect(headerValues(response, 'x-powered-by')).toEqual([]);
}

describe('security headers', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('When an API route answers, then every security header is present exactly once', async () => {
    const user = await registerUser(api);
    for (const response of [
      await request(api.app).get('/api/v1/health/'),
      await request(api.app).get('/api/v1/auth/profile/').set(bearer(user.access)),
      await request(api.app).post('/api/v1/auth/login/').send({}),
      await request(api.app).get('/health/'),
    ]) {
      expect(response.status).toBeLessThan(500);
      expectSecurityHeaders(response);
    }
  });

  it('When a docs page is served, then it carries the same strict headers', async () => {
    for (const path of ['/', '/api/v1/docs/', '/api/v1/redoc/', '/api/v1/schema/', '/api/v1/docs/assets/swagger-init.js']) {
      const response = await request(api.app).get(path);
      expect(response.status).toBe(200);
      expectSecurityHeaders(response);
    }
  });

  it('When errors are answered (404, 405, 406, 415, 401), then the headers are there too', async () => {
    for (const response of [
      await request(api.app).get('/no/such/page/'),
      await request(api.app).delete('/api/v1/auth/register/'),
      await request(api.app).get('/api/v1/health/').set('Accept', 'text/html'),
      await request(api.app).post('/api/v1/auth/register/').set('Content-Type', 'text/plain').send('hi'),
      await request(api.app).get('/api/v1/auth/addresses/'),
    ]) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expectSecurityHeaders(response);
    }
  });

  it('When no CORS origins are configured, then a browser origin gets no Access-Control-Allow-Origin', async () => {
    const response = await request(api.app).get('/api/v1/health/').set('Origin', ORIGIN);
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('When X-Forwarded-Proto says https but no proxy is trusted, then absolute links stay http', async () => {
    const response = await request(api.app)
      .get('/api/v1/users/')
      .set('Host', 'api.example.com')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'evil.example.net');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ addresses: 'http://api.example.com/api/v1/users/addresses/' });
  });
});

describe('CORS with configured origins', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ CORS_ORIGINS: `${ORIGIN}, http://localhost:3000`, CORS_ALLOW_CREDENTIALS: 'true' });
  });
  afterAll(() => api.close());

  it('When an allowed origin calls, then its origin is echoed with credentials', async () => {
    const response = await request(api.app).get('/api/v1/health/').set('Origin', ORIGIN);
    expect(response.status).toBe(200);
    expect(single(response, 'access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers['access-control-allow-credentials']).toBe('true');
    expect(response.headers.vary).toMatch(/origin/i);
    expect(response.headers['access-control-expose-headers']).toMatch(/X-Request-ID/i);
  });

  it('When a disallowed origin calls, then there is no Access-Control-Allow-Origin', async () => {
    for (const origin of ['https://evil.example.com', 'https://shop.example.com.evil.net', 'null', 'http://shop.example.com']) {
      const response = await request(api.app).get('/api/v1/health/').set('Origin', origin);
      expect(response.status).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('When an allowed origin sends a preflight, then 204 with methods, headers and max-age', async () => {
    const response = await request(api.app)
      .options('/api/v1/auth/addresses/')
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(response.headers['access-control-allow-credentials']).toBe('true');
    const methods = (response.headers['access-control-allow-methods'] as string).split(/,\s*/);
    expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']));
    const headers = (response.headers['access-control-allow-headers'] as string).toLowerCase().split(/,\s*/);
    expect(headers).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']));
    expect(response.headers['access-control-max-age']).toBe('86400');
    expect(response.text).toBe('');
  });

  it('When a disallowed origin sends a preflight, then it gets no CORS grant', async () => {
    const response = await request(api.app)
      .options('/api/v1/auth/addresses/')
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'DELETE');
    expect(response.status).toBeLessThan(500);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-allow-methods']).toBeUndefined();
  });
});

describe('behind a trusted proxy', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ TRUST_PROXY: '1' });
  });
  afterAll(() => api.close());

  it('When TRUST_PROXY=1 and X-Forwarded-Proto is https, then absolute links use https', async () => {
    const response = await request(api.app).get('/api/v1/users/').set('Host', 'api.example.com').set('X-Forwarded-Proto', 'https');
    expect(response.body).toEqual({ addresses: 'https://api.example.com/api/v1/users/addresses/' });
  });

  it('When TRUST_PROXY=1, then pagination links follow the forwarded scheme and host too', async () => {
    const user = await registerUser(api);
    for (let index = 0; index < 21; index += 1) {
      const created = await request(api.app)
        .post('/api/v1/auth/addresses/')
        .set(bearer(user.access))
        .send({ first_name: 'A', last_name: 'B', address_line_1: 'C', city: `D${index}`, postal_code: 'E', country: 'F', phone_number: '1' });
      expect(created.status).toBe(201);
    }
    const response = await request(api.app)
      .get('/api/v1/auth/addresses/?page=1')
      .set(bearer(user.access))
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'shop.example.com');
    expect(response.status).toBe(200);
    expect(response.body.next).toBe('https://shop.example.com/api/v1/auth/addresses/?page=2');
    const plain = await request(api.app).get('/api/v1/auth/addresses/?page=2').set(bearer(user.access)).set('Host', 'api.internal');
    expect(plain.body.previous).toBe('http://api.internal/api/v1/auth/addresses/');
  });
});
