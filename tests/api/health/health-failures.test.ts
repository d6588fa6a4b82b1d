import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { freePort } from '../../support/components';
import { migratorConfig, ProjectMigrationSource } from '../../../db/migration-source';

describe('health endpoints when something is wrong', () => {
  describe('with a migration not applied', () => {
    let api: TestApi;

    let last: string;

    beforeAll(async () => {
      api = await startTestApi();
      last = (await new ProjectMigrationSource().getMigrations()).at(-1) as string;
      await api.db.migrate.down(migratorConfig());
    });
    afterAll(() => api.close());

    it('When a migration is pending, then readiness is 503 and names it, while liveness stays 200', async () => {
      const response = await request(api.app).get('/health/readiness/');
      expect(response.status).toBe(503);
      expect(response.body).toEqual({
        status: 'not_ready',
        service: 'nexus-api',
        checks: { database: 'healthy', migrations: 'pending', cache: 'healthy' },
        pending_migrations: [last],
      });
      expect((await request(api.app).get('/health/liveness/')).status).toBe(200);
    });
  });

  describe('with a migration of a newer release applied', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await startTestApi();
      await api.db('knex_migrations').insert({ name: '29991231000000_from-a-newer-release', batch: 99, migration_time: new Date() });
    });
    afterAll(() => api.close());

    it('When the database has a migration this release does not know, then it is still ready (it serves beside a newer release, or after a rollback)', async () => {
      const response = await request(api.app).get('/health/readiness/');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ checks: { migrations: 'up_to_date' }, pending_migrations: [] });
    });
  });

  describe('with the database unreachable', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await startTestApi({ DATABASE_URL: `postgres://nexus:pw@127.0.0.1:${await freePort()}/nowhere` });
    });
    afterAll(() => api.close());

    it('When PostgreSQL cannot be reached, then /health/ and /health/db/ are 503 and readiness is not ready', async () => {
      const health = await request(api.app).get('/health/');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'unhealthy', database: 'unhealthy' });
      expect((await request(api.app).get('/health/db/')).status).toBe(503);
      const readiness = await request(api.app).get('/health/readiness/');
      expect(readiness.status).toBe(503);
      expect(readiness.body.checks).toEqual({ database: 'unhealthy', migrations: 'unknown', cache: 'healthy' });
    });

    it('When an endpoint needs the database, then it answers 503 service_unavailable without internals', async () => {
      const response = await request(api.app).post('/api/v1/auth/login/').send({ email: 'a@example.com', password: 'whatever-password' });
      expect(response.status).toBe(503);
      expect(response.body).toEqual({ detail: 'Service temporarily unavailable.', code: 'service_unavailable' });
      expect(response.headers['retry-after']).toBeDefined();
    });
  });

  describe('with Redis unreachable', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${await freePort()}/0` });
    });
    afterAll(() => api.close());

    it('When Redis cannot be reached, then readiness is 503 with the cache named, so a deploy never switches to it', async () => {
      const readiness = await request(api.app).get('/health/readiness/');
      expect(readiness.status).toBe(503);
      expect(readiness.body).toMatchObject({ status: 'not_ready', checks: { database: 'healthy', migrations: 'up_to_date', cache: 'unhealthy' } });
      expect((await request(api.app).get('/health/liveness/')).status).toBe(200);
    });
  });
});
