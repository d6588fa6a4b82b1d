import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type Express, type RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { Config } from './config';
import { AppError } from './errors';
import { allowedHosts } from './http/allowed-hosts';
import { authenticate } from './http/auth';
import { bodyParsers, rejectUnsupportedMediaType } from './http/body-parsers';
import { withCacheFastLane, type FastLaneStats } from './http/cache-fast-lane';
import { mountEndpoints, type Endpoint, type MountOptions } from './http/endpoint';
import { registerEndpoints } from './http/endpoint-openapi';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { rateLimiter, routeClassLimits, type RateLimiterFactory, type RateLimitStoreFactory } from './http/rate-limit';
import { mediaHandler } from './http/media';
import { requestIdMiddleware } from './http/request-context';
import { MEDIA_PUBLIC_URL_SETTING } from './http/urls';
import { caseSensitiveRouter } from './http/router';
import { accessLog } from './http/access-log';
import { serveMetrics } from './http/metrics-endpoint';
import { requestMetrics } from './http/request-metrics';
import { routeGroup, routeTemplate } from './http/route-template';
import { corsPolicy, securityHeaders } from './http/security';
import type { CacheStore } from './infra/cache-store';
import type { KeyValueStore } from './infra/kv-store';
import type { Logger } from './infra/logger';
import type { Mailer } from './infra/mailer';
import type { MediaStorage } from './infra/media-storage';
import { Metrics } from './infra/metrics';
import { createAddressesModule } from './modules/addresses';
import { createCartModule } from './modules/cart';
import { consoleRouter, createViews } from './modules/console';
import { AuditLog } from './modules/audit';
import { ConsoleSessions } from './http/console-session';
import { createCatalogModule } from './modules/catalog';
import { createRegistry, docsRouter } from './modules/docs';
import { createHealthModule } from './modules/health';
import { createOrdersModule, paymentProvider, type OrderExpiry, type PaymentProvider } from './modules/orders';
import { createReviewsModule } from './modules/reviews';
import { createUsersModule, type UsersModule } from './modules/users';
import { createWebhooksModule } from './modules/webhooks';

export interface AppDeps {
  config: Config;
  db: Knex;
  kv: KeyValueStore;
  /** The read cache's store: a Redis that may evict (CACHE_REDIS_URL), or the in-process store. */
  cacheStore: CacheStore;
  logger: Logger;
  mailer: Mailer;
  /** Where uploaded images are stored (served at /media/: from MEDIA_ROOT, or streamed from the store). */
  media: MediaStorage;
  rateLimitStores: RateLimitStoreFactory;
  /** Migrations in this release that the database has not applied (readiness fails while any remain). */
  pendingMigrations: () => Promise<string[]>;
  /** The payment gateway; by default the one PAYMENT_PROVIDER names. */
  paymentProvider?: PaymentProvider;
  /** Clock in milliseconds; tests move it to expire tokens without waiting. */
  now?: () => number;
  /** The process's metrics registry (a fresh one by default). HTTP metrics are taken only when config.metrics is enabled. */
  metrics?: Metrics;
}

export interface App {
  app: Express;
  /** The request listener to serve: the app behind the read-cache fast lane. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** How many cache hits the fast lane answered (undefined when the read cache is off). */
  fastLane?: FastLaneStats;
  users: UsersModule;
  /** Expires orders past their payment deadline (the server sweeps with it). */
  orderExpiry: OrderExpiry;
  /** The documented operations with their zod schemas and examples (the OpenAPI document is generated from it). */
  openApi: OpenAPIRegistry;
  metrics: Metrics;
}

/** Both mounts of the old users router: clients used either, and both get the same rate limits. */
export const USER_PREFIXES = ['/api/v1/auth', '/api/v1/users'];

function requireJsonAcceptable(): RequestHandler {
  return (req, _res, next) => {
    if (req.accepts('application/json')) return next();
    next(new AppError({ status: 406, code: 'not_acceptable', detail: 'Could not satisfy the request Accept header.' }));
  };
}

function router(endpoints: Endpoint[], options: MountOptions): express.Router {
  const result = caseSensitiveRouter();
  mountEndpoints(result, endpoints, options);
  return result;
}

/**
 * The composition root: wires modules to their dependencies and builds the Express application. It never
 * listens; `server.ts` does that, and tests drive the app in-process.
 */
export function buildApp(deps: AppDeps): App {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? new Metrics();
  const limiter: RateLimiterFactory = (bucket, rule, options) =>
    rateLimiter(bucket, rule, {
      enabled: config.rateLimit.enabled,
      stores: deps.rateLimitStores,
      failOpen: options?.failOpen,
      refused: () => metrics.rateLimitRefusals.inc({ limiter: bucket }),
    });

  const users = createUsersModule({ db: deps.db, kv: deps.kv, config, logger, mailer: deps.mailer, now, rateLimiter: limiter });
  const addresses = createAddressesModule({ db: deps.db });
  const catalog = createCatalogModule({
    db: deps.db,
    cacheStore: metrics.countInvalidations(deps.cacheStore),
    storage: deps.media,
    cacheTtlSeconds: config.catalog.cacheTtlSeconds,
    maxImageBytes: config.media.maxBytes,
    eventMediaBase: config.shop.mediaBase,
    lowStockThreshold: config.catalogEvents.lowStockThreshold,
  });
  const cart = createCartModule({ db: deps.db, maxQuantity: config.orders.maxQuantity });
  const reviews = createReviewsModule({
    db: deps.db,
    cache: catalog.cache,
    commentMaxLength: config.reviews.commentMaxLength,
    verifiedStatuses: config.reviews.verifiedStatuses,
    requirePurchase: config.reviews.requirePurchase,
    logger,
    metrics,
  });
  const orders = createOrdersModule({
    db: deps.db,
    cart: cart.service,
    addresses: addresses.service,
    maxQuantity: config.orders.maxQuantity,
    currency: config.orders.currency,
    provider: deps.paymentProvider ?? paymentProvider(config.orders.paymentProvider),
    paymentSeconds: config.orders.paymentTimeoutSeconds,
    maxUnpaid: config.orders.maxUnpaid,
    purchasesChanged: (trx, change) => reviews.service.refreshVerifiedPurchases(trx, change),
    now,
    serverSecret: config.jwt.secret,
    eventMediaBase: config.shop.mediaBase,
    metrics,
    stockTaken: (trx, sold, lines) =>
      catalog.events.stockChanged(
        trx,
        sold.map((product) => ({ productId: product.id, after: product.stock_quantity, before: product.stock_quantity + (lines.find((line) => line.productId === product.id)?.quantity ?? 0) })),
      ),
  });
  const webhooks = createWebhooksModule({ db: deps.db, config, logger, now });
  const health = createHealthModule({
    db: deps.db,
    kv: deps.kv,
    version: config.version,
    environment: config.env,
    pendingMigrations: deps.pendingMigrations,
  });

  const registry = createRegistry();
  const userEndpoints = [...users.endpoints, ...addresses.endpoints];
  registerEndpoints(registry, USER_PREFIXES, userEndpoints);
  registerEndpoints(registry, ['/api/v1'], catalog.endpoints);
  registerEndpoints(registry, ['/api/v1'], cart.endpoints);
  registerEndpoints(registry, ['/api/v1'], orders.endpoints);
  registerEndpoints(registry, ['/api/v1'], reviews.endpoints);
  registerEndpoints(registry, ['/api/v1'], webhooks.endpoints);
  registerEndpoints(registry, ['/health'], health.endpoints);
  registerEndpoints(registry, ['/api/v1'], health.legacyEndpoints);

  const app = express();
  app.disable('x-powered-by');
  app.set('case sensitive routing', true);
  app.set('trust proxy', config.server.trustProxy);
  app.set('query parser', 'simple');
  if (config.media.publicUrl) app.set(MEDIA_PUBLIC_URL_SETTING, config.media.publicUrl);

  // The access log's fields are fixed and safe; skipping redaction there saves work on every request.
  const front = [
    requestIdMiddleware(),
    accessLog(logger.child({}, { redact: [] })),
    ...(config.metrics.enabled ? [requestMetrics(metrics)] : []),
    ...securityHeaders(),
    corsPolicy(config.cors),
  ];
  const hostCheck = allowedHosts(config.server.allowedHosts);
  const classLimits = routeClassLimits({
    reads: limiter('reads', config.rateLimit.reads, { failOpen: true }),
    writes: limiter('writes', config.rateLimit.writes, { failOpen: true }),
  });
  app.use(...front);
  // Before the allowed-hosts check: a scraper asks by address. Without a token, /metrics is not on this port.
  if (config.metrics.token) app.all('/metrics', routeTemplate('/metrics'), serveMetrics(metrics, config.metrics.token));
  const bodyLimitBytes = config.server.bodyLimitBytes;
  app.use('/health', requireJsonAcceptable(), router(health.endpoints, { bodyLimitBytes }));
  app.use(hostCheck);
  app.use(docsRouter(registry, config.version));
  app.use('/media', routeGroup('/media/*'), mediaHandler(deps.media, config.media.root));
  if (config.console.enabled) {
    const sessions = new ConsoleSessions(deps.kv, { idleSeconds: config.console.idleSeconds, lifetimeSeconds: config.console.lifetimeSeconds, now });
    app.use(
      '/admin',
      routeGroup('/admin/*'),
      consoleRouter({
        db: deps.db,
        auth: users.auth,
        users: users.admin,
        orders: orders.service,
        addresses: addresses.service,
        moderation: reviews.moderation,
        products: catalog.staff.products,
        categories: catalog.staff.categories,
        webhooks: webhooks.subscriptions,
        maxImageBytes: config.media.maxBytes,
        bodyLimitBytes: config.server.bodyLimitBytes,
        audit: new AuditLog(deps.db),
        sessions,
        render: createViews(),
        logger,
        loginLimit: limiter('console-login', config.rateLimit.login),
        lowStockThreshold: config.catalogEvents.lowStockThreshold,
        currency: config.orders.currency,
      }),
    );
  }

  const api = caseSensitiveRouter();
  api.use(classLimits, requireJsonAcceptable(), rejectUnsupportedMediaType(), ...bodyParsers(config.server.bodyLimit));
  const withCredentials = { authenticate: authenticate((token) => users.auth.verifyAccessToken(token)), bodyLimitBytes };
  const userRouter = router(userEndpoints, withCredentials);
  for (const prefix of USER_PREFIXES) api.use(prefix.replace('/api/v1', ''), userRouter);
  api.use(router(catalog.endpoints, withCredentials));
  api.use(router(cart.endpoints, withCredentials));
  api.use(router(orders.endpoints, withCredentials));
  api.use(router(reviews.endpoints, withCredentials));
  api.use(router(webhooks.endpoints, withCredentials));
  api.use(router(health.legacyEndpoints, { bodyLimitBytes }));
  app.use('/api/v1', api);

  app.use(notFoundHandler());
  app.use(errorHandler(logger));

  if (!catalog.cache.enabled) return { app, handler: app, users, orderExpiry: orders.expiry, openApi: registry, metrics };
  const lane = withCacheFastLane(app, { front, guards: [hostCheck, classLimits], lookup: (req) => catalog.cache.peek(req) });
  return { app, handler: lane, fastLane: lane.stats, users, orderExpiry: orders.expiry, openApi: registry, metrics };
}
