import { z } from 'zod';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { SERVICE_NAME, type HealthService } from './service';

const TAGS = ['Health'];

const checkSchema = z.object({ status: z.enum(['healthy', 'unhealthy']), latency_ms: z.number() });
const cacheCheckSchema = checkSchema.extend({ backend: z.enum(['redis', 'memory']) });

// Examples, as a production process with Redis answers (the in-process store says `memory`).
const DATABASE_UP = { status: 'healthy', latency_ms: 1.12 };
const DATABASE_DOWN = { status: 'unhealthy', latency_ms: 5003.4 };
const CACHE_UP = { status: 'healthy', latency_ms: 0.31, backend: 'redis' };
const EVENTS_UP = { status: 'healthy', workers: 2, unrelayed: 0, outbox_lag_seconds: 0 };
const eventsCheckSchema = z
  .object({ status: z.enum(['healthy', 'unhealthy']), workers: z.number().int(), unrelayed: z.number().int(), outbox_lag_seconds: z.number() })
  .meta({
    description:
      'The delivery worker (webhooks, order mail): `unhealthy` when no worker was seen in the last 30 s or the oldest committed event has waited 120 s or more to be queued. It does not change `status`: the API serves without a worker, and events wait in the outbox until one runs.',
  });
const HEALTHY = {
  status: 'healthy',
  service: SERVICE_NAME,
  version: '0.1.0',
  database: 'healthy',
  cache: 'healthy',
  environment: 'production',
  checks: { database: DATABASE_UP, cache: CACHE_UP, events: EVENTS_UP },
};
const READY = { status: 'ready', service: SERVICE_NAME, checks: { database: 'healthy', migrations: 'up_to_date', cache: 'healthy' }, pending_migrations: [] };

const healthSchema = z
  .object({
    status: z.enum(['healthy', 'degraded', 'unhealthy']).meta({ description: '`degraded`: the database works but the cache does not.' }),
    service: z.string(),
    version: z.string(),
    database: z.enum(['healthy', 'unhealthy']),
    cache: z.enum(['healthy', 'unhealthy']),
    environment: z.string(),
    checks: z.object({ database: checkSchema, cache: cacheCheckSchema, events: eventsCheckSchema.optional() }),
  })
  .meta({ id: 'Health', example: HEALTHY });

const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    service: z.string(),
    checks: z.object({
      database: z.enum(['healthy', 'unhealthy']),
      migrations: z.enum(['up_to_date', 'pending', 'unknown']),
      cache: z.enum(['healthy', 'unhealthy']).meta({ description: 'Redis (or the in-process store outside production): rate limits and token revocation depend on it.' }),
    }),
    pending_migrations: z.array(z.string()),
  })
  .meta({ id: 'Readiness', example: READY });

/** Health routes mounted at /health; their JSON is read by `nexus health` and `nexus deploy`, so it is a contract. */
export function healthEndpoints(health: HealthService): Endpoint[] {
  return [
    defineEndpoint({
      method: 'get',
      path: '/',
      summary: 'Full health: database, cache and version',
      operationId: 'health',
      tags: TAGS,
      access: 'public',
      responses: {
        200: { description: 'Serving (status healthy or degraded)', schema: healthSchema },
        503: {
          description: 'Database unreachable',
          schema: healthSchema,
          example: { ...HEALTHY, status: 'unhealthy', database: 'unhealthy', checks: { database: DATABASE_DOWN, cache: CACHE_UP } },
        },
      },
      handle: async () => {
        const [database, cache, events] = await Promise.all([health.database(), health.cache(), health.events()]);
        const status = database.status === 'unhealthy' ? 'unhealthy' : cache.status === 'unhealthy' ? 'degraded' : 'healthy';
        return {
          status: status === 'unhealthy' ? 503 : 200,
          body: {
            status,
            service: SERVICE_NAME,
            version: health.version,
            database: database.status,
            cache: cache.status,
            environment: health.environment,
            checks: { database, cache: { ...cache, backend: health.cacheBackend }, ...(events ? { events } : {}) },
          },
        };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/readiness/',
      summary: 'Ready for traffic: database and cache reachable, no pending migrations',
      operationId: 'readiness',
      tags: TAGS,
      access: 'public',
      responses: {
        200: { description: 'Ready', schema: readinessSchema },
        503: {
          description: 'Not ready',
          schema: readinessSchema,
          example: { ...READY, status: 'not_ready', checks: { ...READY.checks, migrations: 'pending' }, pending_migrations: ['20261201090000_order_notes.ts'] },
        },
      },
      handle: async () => {
        const [database, cache] = await Promise.all([health.database(), health.cache()]);
        const pending = database.status === 'healthy' ? await health.pendingMigrations() : undefined;
        const migrations = pending === undefined ? 'unknown' : pending.length > 0 ? 'pending' : 'up_to_date';
        // A release that cannot reach Redis would answer 503 to logins and catalogue reads: not ready.
        const ready = database.status === 'healthy' && migrations === 'up_to_date' && cache.status === 'healthy';
        return {
          status: ready ? 200 : 503,
          body: {
            status: ready ? 'ready' : 'not_ready',
            service: SERVICE_NAME,
            checks: { database: database.status, migrations, cache: cache.status },
            pending_migrations: pending ?? [],
          },
        };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/liveness/',
      summary: 'The process is up',
      operationId: 'liveness',
      tags: TAGS,
      access: 'public',
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('alive'), service: z.string() }), example: { status: 'alive', service: SERVICE_NAME } } },
      handle: async () => ({ status: 200, body: { status: 'alive', service: SERVICE_NAME } }),
    }),
    defineEndpoint({
      method: 'get',
      path: '/db/',
      summary: 'Database probe',
      operationId: 'healthDatabase',
      tags: TAGS,
      access: 'public',
      responses: {
        200: { description: 'Reachable', schema: checkSchema, example: DATABASE_UP },
        503: { description: 'Unreachable', schema: checkSchema, example: DATABASE_DOWN },
      },
      handle: async () => {
        const result = await health.database();
        return { status: result.status === 'healthy' ? 200 : 503, body: result };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/cache/',
      summary: 'Cache probe (Redis, or the in-process store in development)',
      operationId: 'healthCache',
      tags: TAGS,
      access: 'public',
      responses: {
        200: { description: 'Working', schema: cacheCheckSchema, example: CACHE_UP },
        503: { description: 'Not working', schema: cacheCheckSchema, example: { status: 'unhealthy', latency_ms: 2001.7, backend: 'redis' } },
      },
      handle: async () => {
        const result = await health.cache();
        return { status: result.status === 'healthy' ? 200 : 503, body: { ...result, backend: health.cacheBackend } };
      },
    }),
  ];
}

/** The old `/api/v1/health/`: kept for clients and monitors that still call it. */
export function legacyHealthEndpoints(): Endpoint[] {
  return [
    defineEndpoint({
      method: 'get',
      path: '/health/',
      summary: 'Legacy liveness probe',
      operationId: 'legacyHealth',
      tags: TAGS,
      access: 'public',
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('healthy'), service: z.string() }), example: { status: 'healthy', service: SERVICE_NAME } } },
      handle: async () => ({ status: 200, body: { status: 'healthy', service: SERVICE_NAME } }),
    }),
  ];
}
