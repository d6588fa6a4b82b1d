import type { Knex } from 'knex';
import { ConflictError, NotFoundError } from '../../errors';
import type { CatalogCache } from '../catalog';
import type { ReportRow, ReportStatus, ReviewRow } from './model';
import type { ReviewRepository } from './repository';
import { NO_REVIEW } from './service';

const NO_REPORT = 'No ReviewReport matches the given query.';

/** 409: hiding a hidden review, or restoring a visible one. */
export function visibilityUnchanged(hidden: boolean): ConflictError {
  return new ConflictError(hidden ? 'This review is already hidden.' : 'This review is not hidden.', 'invalid_transition');
}

/** 409: closing a report that a moderator already closed. */
export function reportClosed(status: string): ConflictError {
  return new ConflictError(`This report is already ${status}.`, 'invalid_transition');
}

/**
 * The staff side: the report queue, hiding and restoring reviews. A hidden review leaves public lists and
 * the product's rating at once (the rating triggers count visible reviews only); hiding a review closes its
 * open reports as resolved.
 */
export class ModerationService {
  constructor(private readonly deps: { db: Knex; reviews: ReviewRepository; cache: CatalogCache }) {}

  countReports(status: ReportStatus | 'all'): Promise<number> {
    return this.deps.reviews.countReports(status);
  }

  listReports(status: ReportStatus | 'all', limit: number, offset: number): Promise<{ report: ReportRow; review: ReviewRow }[]> {
    return this.deps.reviews.listReports(status, limit, offset);
  }

  private async setHidden(trx: Knex.Transaction, reviewId: number, hidden: boolean, staffId: number, note: string): Promise<void> {
    const review = await this.deps.reviews.lock(trx, reviewId);
    if (!review) throw new NotFoundError(NO_REVIEW);
    if (review.is_hidden === hidden) throw visibilityUnchanged(hidden);
    await this.deps.reviews.setHidden(trx, reviewId, hidden, staffId, note);
    if (hidden) await this.deps.reviews.closeReports(trx, { reviewId }, 'resolved', staffId, note || 'Review hidden.');
  }

  async hide(staffId: number, reviewId: number, note: string): Promise<ReviewRow> {
    await this.deps.db.transaction((trx) => this.setHidden(trx, reviewId, true, staffId, note));
    await this.deps.cache.invalidate();
    return (await this.deps.reviews.find(reviewId)) as ReviewRow;
  }

  async restore(staffId: number, reviewId: number): Promise<ReviewRow> {
    await this.deps.db.transaction((trx) => this.setHidden(trx, reviewId, false, staffId, ''));
    await this.deps.cache.invalidate();
    return (await this.deps.reviews.find(reviewId)) as ReviewRow;
  }

  /** Resolves (optionally hiding the review) or dismisses an open report. */
  async close(staffId: number, reportId: number, status: 'resolved' | 'dismissed', note: string, hideReview = false): Promise<{ report: ReportRow; review: ReviewRow }> {
    const hid = await this.deps.db.transaction(async (trx) => {
      const report = await this.deps.reviews.lockReport(trx, reportId);
      if (!report) throw new NotFoundError(NO_REPORT);
      if (report.status !== 'open') throw reportClosed(report.status);
      await this.deps.reviews.closeReports(trx, { reportId }, status, staffId, note);
      const review = await this.deps.reviews.lock(trx, report.review_id);
      if (!hideReview || !review || review.is_hidden) return false;
      await this.setHidden(trx, report.review_id, true, staffId, note);
      return true;
    });
    if (hid) await this.deps.cache.invalidate();
    const report = (await this.deps.reviews.findReport(reportId)) as ReportRow;
    return { report, review: (await this.deps.reviews.find(report.review_id)) as ReviewRow };
  }
}
