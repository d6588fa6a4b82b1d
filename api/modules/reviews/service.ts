import type { Knex } from 'knex';
import { recordEvent } from '../events';
import { reportView } from './serializers';
import { afterCommit } from '../../infra/after-commit';
import type { Logger } from '../../infra/logger';
import type { ShopMetrics } from '../../infra/metrics';
import { AppError, NotFoundError, PermissionDeniedError, ValidationError } from '../../errors';
import type { CatalogCache } from '../catalog';
import { productRating } from '../catalog';
import { hasPurchased, type OrderStatus } from '../orders';
import type { ReportReason, ReviewRow } from './model';
import { parseOrdering as parseWhitelisted, sameNameColumns, type Ordering } from '../../http/ordering';
import type { LockedReview, ReviewFilters, ReviewRepository } from './repository';
import { REVIEW_ORDERING_FIELDS, type StatsView } from './schemas';
import { statsView } from './serializers';
import { canInteract, canSee, type Viewer } from './visibility';

export const NO_REVIEW = 'No Review matches the given query.';
const NO_PRODUCT = 'No Product matches the given query.';
const ALREADY_REVIEWED = 'You have already reviewed this product.';

export function alreadyReviewed(): ValidationError {
  return new ValidationError({ non_field_errors: [ALREADY_REVIEWED] }, 'unique');
}

export function purchaseRequired(): PermissionDeniedError {
  return new PermissionDeniedError('Only customers who bought this product can review it.', 'purchase_required');
}

/** Authors neither vote on nor report their own review. @param action "vote on" or "report" */
export function ownReview(action: string): AppError {
  return new AppError({ status: 400, code: 'own_review', detail: `You cannot ${action} your own review.` });
}

export function alreadyReported(): AppError {
  return new AppError({ status: 409, code: 'already_reported', detail: 'You have already reported this review; a moderator will look at it.' });
}

export interface ReviewServiceDeps {
  db: Knex;
  reviews: ReviewRepository;
  cache: CatalogCache;
  verifiedStatuses: readonly OrderStatus[];
  requirePurchase: boolean;
  logger: Logger;
  metrics?: Pick<ShopMetrics, 'reviewReported'>;
}

export type { Viewer } from './visibility';

const REVIEW_COLUMNS = sameNameColumns(REVIEW_ORDERING_FIELDS);

/** `?ordering=-rating`; unknown fields fall back to newest first, as DRF ignored them. */
export function parseOrdering(value: string | undefined): Ordering {
  return parseWhitelisted(value, REVIEW_COLUMNS, { column: 'created_at', direction: 'desc' });
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string; constraint?: string }).code === '23505' && (error as { constraint?: string }).constraint === 'reviews_user_product_unique';
}

/**
 * Reviews as their authors and readers see them. Product ratings follow in the same transaction (database
 * triggers); every write that changes what the public reads retires the cached pages it changes once it has
 * committed (see CatalogCache.reviewsChanged).
 */
export class ReviewService {
  constructor(private readonly deps: ReviewServiceDeps) {}

  count(filters: ReviewFilters): Promise<number> {
    return this.deps.reviews.count(filters);
  }

  listCounted(filters: ReviewFilters, ordering: Ordering, limit: number, offset: number): Promise<{ rows: ReviewRow[]; total: number }> {
    return this.deps.reviews.listCounted(filters, ordering, limit, offset);
  }

  /** A review the viewer cannot see (visibility.ts) does not exist for them. */
  async get(id: number, viewer?: Viewer): Promise<ReviewRow> {
    const review = await this.deps.reviews.find(id);
    if (!review || !canSee(review, viewer)) throw new NotFoundError(NO_REVIEW);
    return review;
  }

  /** @throws {NotFoundError} for a product the public cannot see (the old API answered 200 with nothing) */
  async requireVisibleProduct(productId: number): Promise<void> {
    if (!(await productRating(this.deps.db, productId))?.isActive) throw new NotFoundError(NO_PRODUCT);
  }

  async stats(productId: number): Promise<StatsView> {
    const product = await productRating(this.deps.db, productId);
    if (!product?.isActive) throw new NotFoundError(NO_PRODUCT);
    return statsView(product.ratingCounts, product.averageRating);
  }

  async create(authorId: number, input: { product: number; rating: number; comment?: string }): Promise<ReviewRow> {
    const product = await productRating(this.deps.db, input.product);
    if (!product?.isActive) throw ValidationError.field('product', `Invalid pk "${input.product}" - object does not exist.`);
    const verified = await hasPurchased(this.deps.db, authorId, input.product, this.deps.verifiedStatuses);
    if (this.deps.requirePurchase && !verified) {
      throw purchaseRequired();
    }
    const id = await this.deps.db
      .transaction((trx) => this.deps.reviews.insert(trx, { user_id: authorId, product_id: input.product, rating: input.rating, comment: input.comment ?? '', verified_purchase: verified }))
      .catch((error: unknown) => {
        // The unique index decides between two concurrent first reviews; the loser gets the old 400.
        if (isUniqueViolation(error)) throw alreadyReviewed();
        throw error;
      });
    await this.deps.cache.reviewsChanged({ productId: input.product, authorId, ratings: true });
    return this.get(id, { id: authorId, isStaff: false });
  }

  async update(authorId: number, id: number, patch: { rating?: number; comment?: string }): Promise<ReviewRow> {
    const productId = await this.deps.db.transaction(async (trx) => {
      const review = await this.ownReview(trx, id, authorId);
      // A purchase delivered since the review was written makes it verified now.
      const verified = await hasPurchased(trx, authorId, review.product_id, this.deps.verifiedStatuses);
      await this.deps.reviews.update(trx, id, { ...patch, verified_purchase: verified });
      return review.product_id;
    });
    await this.deps.cache.reviewsChanged({ productId, authorId, ratings: true });
    return this.get(id, { id: authorId, isStaff: false });
  }

  /**
   * The "verified purchase" badge follows the author's orders: called in the order's transaction whenever a
   * customer's orders of some products change status, so a refund or a cancellation takes the badge away
   * and a delivery gives it. Only the pages of reviews whose badge really changed are recomputed, after the commit.
   */
  async refreshVerifiedPurchases(trx: Knex.Transaction, change: { userId: number; productIds: number[] }): Promise<void> {
    const changed = await this.deps.reviews.refreshVerified(trx, change.userId, change.productIds, this.deps.verifiedStatuses);
    if (changed.length === 0) return;
    const pagesOf = (productId: number) => this.deps.cache.reviewsChanged({ productId, authorId: change.userId, ratings: false });
    afterCommit(
      trx,
      async () => {
        for (const productId of new Set(changed)) await pagesOf(productId);
      },
      (error) => this.deps.logger.warn({ err: error }, 'review pages not invalidated after a verified-purchase change'),
    );
  }

  async delete(authorId: number, id: number): Promise<void> {
    const productId = await this.deps.db.transaction(async (trx) => {
      const review = await this.ownReview(trx, id, authorId);
      await this.deps.reviews.delete(trx, id);
      return review.product_id;
    });
    await this.deps.cache.reviewsChanged({ productId, authorId, ratings: true });
  }

  /** The author's own review, locked: authors see theirs in every state (visibility.ts), so may edit or delete them. */
  private async ownReview(trx: Knex.Transaction, id: number, authorId: number): Promise<LockedReview> {
    const review = await this.deps.reviews.lock(trx, id);
    if (!review || review.user_id !== authorId || !canSee(review, { id: authorId, isStaff: false })) throw new NotFoundError(NO_REVIEW);
    return review;
  }

  /** A public review someone else wrote, locked: what votes and reports may target (visibility.ts). */
  private async othersReview(trx: Knex.Transaction, id: number, userId: number, action: string): Promise<void> {
    const review = await this.deps.reviews.lock(trx, id);
    if (!review || !canInteract(review)) throw new NotFoundError(NO_REVIEW);
    if (review.user_id === userId) throw ownReview(action);
  }

  async vote(userId: number, id: number, helpful: boolean | undefined): Promise<{ helpful: boolean; count: number }> {
    const result = await this.deps.db.transaction(async (trx) => {
      await this.othersReview(trx, id, userId, 'vote on');
      return this.deps.reviews.vote(trx, id, userId, helpful);
    });
    // A vote changes one review's helpful count: its product's review pages and its author's, nothing else.
    const voted = await this.deps.reviews.find(id);
    if (voted) await this.deps.cache.reviewsChanged({ productId: voted.product_id, authorId: voted.user_id, ratings: false });
    return result;
  }

  async report(userId: number, id: number, reason: ReportReason, description: string): Promise<number> {
    const reportId = await this.deps.db.transaction(async (trx) => {
      await this.othersReview(trx, id, userId, 'report');
      const reportId = await this.deps.reviews.insertReport(trx, { review_id: id, user_id: userId, reason, description });
      if (reportId === undefined) throw alreadyReported();
      // The moderation queue's entry, as the staff API shows it.
      const [report, review] = await Promise.all([this.deps.reviews.findReport(reportId, trx), this.deps.reviews.find(id, trx)]);
      if (report && review) await recordEvent(trx, { type: 'review.reported', resource: { type: 'review_report', id: reportId }, object: reportView(report, review) });
      return reportId;
    });
    this.deps.metrics?.reviewReported();
    return reportId;
  }
}
