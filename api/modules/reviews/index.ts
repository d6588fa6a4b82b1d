import type { Knex } from 'knex';
import type { Logger } from '../../infra/logger';
import type { ShopMetrics } from '../../infra/metrics';
import type { Endpoint } from '../../http/endpoint';
import type { CatalogCache } from '../catalog';
import type { OrderStatus } from '../orders';
import { ModerationService } from './moderation';
import { AuditLog } from '../audit';
import { moderationEndpoints } from './moderation-routes';
import { ReviewRepository } from './repository';
import { reviewEndpoints } from './routes';
import { ReviewService } from './service';

export interface ReviewsModuleDeps {
  db: Knex;
  /** The catalogue's read cache: review writes change product ratings and the cached review pages. */
  cache: CatalogCache;
  commentMaxLength: number;
  verifiedStatuses: readonly OrderStatus[];
  requirePurchase: boolean;
  logger: Logger;
  /** Counts the reports customers open. */
  metrics?: Pick<ShopMetrics, 'reviewReported'>;
}

export interface ReviewsModule {
  /** Mounted at /api/v1; moderation first. */
  endpoints: Endpoint[];
  service: ReviewService;
  /** The report queue, hiding and restoring (staff: the API's moderation routes and the console). */
  moderation: ModerationService;
}

export function createReviewsModule(deps: ReviewsModuleDeps): ReviewsModule {
  const reviews = new ReviewRepository(deps.db);
  const service = new ReviewService({ db: deps.db, reviews, cache: deps.cache, verifiedStatuses: deps.verifiedStatuses, requirePurchase: deps.requirePurchase, logger: deps.logger, metrics: deps.metrics });
  const moderation = new ModerationService({ db: deps.db, reviews, cache: deps.cache, audit: new AuditLog(deps.db) });
  return { endpoints: [...moderationEndpoints(moderation), ...reviewEndpoints(service, deps.cache, deps.commentMaxLength)], service, moderation };
}
export type { ModerationService } from './moderation';
