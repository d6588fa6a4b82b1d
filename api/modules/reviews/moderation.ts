import type { Knex } from 'knex';
import { ConflictError, NotFoundError } from '../../errors';
import type { Actor, AuditLog } from '../audit';
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

/** A staff member acting: their id is recorded on the review and report, and the change in the audit log. */
export type Staff = Actor & { id: number };

/**
 * The staff side: the report queue, hiding and restoring reviews. A hidden review leaves public lists and
 * the product's rating at once (the rating triggers count visible reviews only); hiding a review closes its
 * open reports as resolved. Every change is audited in its own transaction.
 */
export class ModerationService {
  constructor(private readonly deps: { db: Knex; reviews: ReviewRepository; cache: CatalogCache; audit: AuditLog }) {}

  countReports(status: ReportStatus | 'all'): Promise<number> {
    return this.deps.reviews.countReports(status);
  }

  listReports(status: ReportStatus | 'all', limit: number, offset: number): Promise<{ report: ReportRow; review: ReviewRow }[]> {
    return this.deps.reviews.listReports(status, limit, offset);
  }

  private async setHidden(trx: Knex.Transaction, reviewId: number, hidden: boolean, staff: Staff, note: string): Promise<void> {
    const review = await this.deps.reviews.lock(trx, reviewId);
    if (!review) throw new NotFoundError(NO_REVIEW);
    if (review.is_hidden === hidden) throw visibilityUnchanged(hidden);
    await this.deps.reviews.setHidden(trx, reviewId, hidden, staff.id, note);
    if (hidden) await this.deps.reviews.closeReports(trx, { reviewId }, 'resolved', staff.id, note || 'Review hidden.');
    await this.deps.audit.record(trx, staff, {
      action: hidden ? 'review.hidden' : 'review.restored',
      resourceType: 'review',
      resourceId: reviewId,
      before: { is_hidden: !hidden },
      after: { is_hidden: hidden, ...(note ? { note } : {}) },
    });
  }

  async hide(staff: Staff, reviewId: number, note: string): Promise<ReviewRow> {
    await this.deps.db.transaction((trx) => this.setHidden(trx, reviewId, true, staff, note));
    await this.deps.cache.invalidate();
    return (await this.deps.reviews.find(reviewId)) as ReviewRow;
  }

  async restore(staff: Staff, reviewId: number): Promise<ReviewRow> {
    await this.deps.db.transaction((trx) => this.setHidden(trx, reviewId, false, staff, ''));
    await this.deps.cache.invalidate();
    return (await this.deps.reviews.find(reviewId)) as ReviewRow;
  }

  /** Resolves (optionally hiding the review) or dismisses an open report. */
  async close(staff: Staff, reportId: number, status: 'resolved' | 'dismissed', note: string, hideReview = false): Promise<{ report: ReportRow; review: ReviewRow }> {
    const hid = await this.deps.db.transaction(async (trx) => {
      const report = await this.deps.reviews.lockReport(trx, reportId);
      if (!report) throw new NotFoundError(NO_REPORT);
      if (report.status !== 'open') throw reportClosed(report.status);
      await this.deps.reviews.closeReports(trx, { reportId }, status, staff.id, note);
      await this.deps.audit.record(trx, staff, { action: `report.${status}`, resourceType: 'review_report', resourceId: reportId, before: { status: 'open' }, after: { status, ...(note ? { note } : {}) } });
      const review = await this.deps.reviews.lock(trx, report.review_id);
      if (!hideReview || !review || review.is_hidden) return false;
      await this.setHidden(trx, report.review_id, true, staff, note);
      return true;
    });
    if (hid) await this.deps.cache.invalidate();
    const report = (await this.deps.reviews.findReport(reportId)) as ReportRow;
    return { report, review: (await this.deps.reviews.find(report.review_id)) as ReviewRow };
  }
}
