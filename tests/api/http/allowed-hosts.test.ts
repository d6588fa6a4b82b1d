import request from 'supertest';
import { isAllowedHost } from '../../../api/http/allowed-hosts';
import { startTestApi, type TestApi } from '../../support/api';

describe('ALLOWED_HOSTS', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ ALLOWED_HOSTS: 'shop.example.com,.example.org' });
  });
  afterAll(() => api.close());

  it('When the Host is listed (exactly or under a dotted domain), then the request is served', async () => {
    expect((await request(api.app).get('/api/v1/users/').set('Host', 'shop.example.com')).status).toBe(200);
    expect((await request(api.app).get('/api/v1/users/').set('Host', 'api.example.org:8443')).status).toBe(200);
    expect((await request(api.app).get('/api/v1/users/').set('Host', 'example.org')).status).toBe(200);
  });

  it('When the Host is not listed, then 400 invalid_host and no link is built from it', async () => {
    const response = await request(api.app).get('/api/v1/users/').set('Host', 'evil.test');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ detail: 'Invalid host header.', code: 'invalid_host' });
    expect((await request(api.app).get('/api/v1/docs/').set('Host', 'evil.test')).status).toBe(400);
  });

  it('When a probe uses an IP, then health endpoints still answer', async () => {
    expect((await request(api.app).get('/health/liveness/').set('Host', '10.0.0.5:8000')).status).toBe(200);
  });

  it('When hosts are matched, then suffix tricks do not pass', () => {
    expect(isAllowedHost('notexample.org', ['.example.org'])).toBe(false);
    expect(isAllowedHost('SHOP.Example.com.', ['shop.example.com'])).toBe(true);
    expect(isAllowedHost('shop.example.com.evil.test', ['shop.example.com'])).toBe(false);
  });
});
