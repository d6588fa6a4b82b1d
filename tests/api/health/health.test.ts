import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';

describe('health endpoints', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('When everything is up, then /health/ reports healthy with database, cache and version', async () => {
    const response = await request(api.app).get('/health/');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'healthy',
      service: 'nexus-api',
      version: api.config.version,
      database: 'healthy',
      cache: 'healthy',
      environment: 'test',
    });
    expect(response.body.checks.cache.backend).toBe(process.env.NEXUS_TEST_REDIS_URL ? 'redis' : 'memory');
  });

  it('When HEAD is used, then /health/ answers like GET without a body', async () => {
    const response = await request(api.app).head('/health/');
    expect(response.status).toBe(200);
    expect(response.text).toBeUndefined();
  });

  it('When migrations are applied, then readiness is ready', async () => {
    const response = await request(api.app).get('/health/readiness/');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ready',
      service: 'nexus-api',
      checks: { database: 'healthy', migrations: 'up_to_date', cache: 'healthy' },
      pending_migrations: [],
    });
  });

  it('When liveness, db, cache and the legacy route are probed, then each answers 200 JSON', async () => {
    expect((await request(api.app).get('/health/liveness/')).body).toEqual({ status: 'alive', service: 'nexus-api' });
    expect((await request(api.app).get('/health/db/')).body).toMatchObject({ status: 'healthy' });
    expect((await request(api.app).get('/health/cache/')).body).toMatchObject({ status: 'healthy' });
    expect((await request(api.app).get('/api/v1/health/')).body).toEqual({ status: 'healthy', service: 'nexus-api' });
  });

  it('When another method is used, then 405 with Allow', async () => {
    const response = await request(api.app).post('/health/');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(response.body.code).toBe('method_not_allowed');
  });
});
