import type { Knex } from 'knex';
import type { Ordering } from '../../http/ordering';
import type { ReportReason, ReportRow, ReportStatus, ReviewRow } from './model';
import { wherePublic, type ReviewVisibility } from './visibility';

export interface ReviewFilters {
  productId?: number;
  userId?: number;
  rating?: number;
  verifiedPurchase?: boolean;
  /** Public reads leave out hidden reviews and reviews of inactive products; authors and staff see them. */
  visibleOnly: boolean;
}

type Db = Knex | Knex.Transaction;

export type LockedReview = ReviewVisibility & { id: number; product_id: number };

/** Review, vote and report queries. Every review read joins its author's email and its product's title. */
export class ReviewRepository {
  constructor(private readonly db: Knex) {}

  private reviews(db: Db = this.db): Knex.QueryBuilder {
    return db('reviews as r')
      .join('users as u', 'u.id', 'r.user_id')
      .join('products as p', 'p.id', 'r.product_id')
      .select('r.*', 'u.email as user_email', 'p.title as product_title', 'p.is_active as product_is_active');
  }

  async find(id: number, db: Db = this.db): Promise<ReviewRow | undefined> {
    return this.reviews(db).where('r.id', id).first<ReviewRow | undefined>();
  }

  /** The review, row-locked for the caller's transaction, with what decides its visibility. */
  async lock(trx: Knex.Transaction, id: number): Promise<LockedReview | undefined> {
    return trx('reviews as r')
      .join('products as p', 'p.id', 'r.product_id')
      .where('r.id', id)
      .forUpdate('r')
      .first<LockedReview | undefined>('r.id', 'r.user_id', 'r.product_id', 'r.is_hidden', 'p.is_active as product_is_active');
  }

  private filtered(filters: ReviewFilters): Knex.QueryBuilder {
    const query = this.db('reviews as r');
    if (filters.visibleOnly) wherePublic(query);
    if (filters.productId !== undefined) query.where('r.product_id', filters.productId);
    if (filters.userId !== undefined) query.where('r.user_id', filters.userId);
    if (filters.rating !== undefined) query.where('r.rating', filters.rating);
    if (filters.verifiedPurchase !== undefined) query.where('r.verified_purchase', filters.verifiedPurchase);
    return query;
  }

  async count(filters: ReviewFilters): Promise<number> {
    const [row] = await this.filtered(filters).count<{ count: number }[]>({ count: '*' });
    return row?.count ?? 0;
  }

  /**
   * A page of ids with the total (a window count over the filtered reviews alone, index-only where possible),
   * then the page's rows with their joins: two queries, and the joins run on one page only.
   */
  async listCounted(filters: ReviewFilters, ordering: Ordering, limit: number, offset: number): Promise<{ rows: ReviewRow[]; total: number }> {
    const order = [{ column: `r.${ordering.column}`, order: ordering.direction }, { column: 'r.id', order: ordering.direction }];
    const page = await this.filtered(filters)
      .orderBy(order)
      .limit(limit)
      .offset(offset)
      .select<{ id: number; total: number }[]>('r.id', this.db.raw('count(*) OVER () AS total'));
    // An empty page past the first is out of range (paginateCounted answers 404): its total does not matter.
    if (page.length === 0) return { rows: [], total: 0 };
    const rows = await this.reviews().whereIn('r.id', page.map((row) => row.id)).select<ReviewRow[]>();
    const byId = new Map(rows.map((row) => [row.id, row]));
    return { rows: page.flatMap((row) => byId.get(row.id) ?? []), total: Number((page[0] as { total: number }).total) };
  }

  async insert(trx: Knex.Transaction, review: { user_id: number; product_id: number; rating: number; comment: string; verified_purchase: boolean }): Promise<number> {
    const [row] = await trx('reviews').insert(review).returning<{ id: number }[]>('id');
    return (row as { id: number }).id;
  }

  async update(trx: Knex.Transaction, id: number, patch: { rating?: number; comment?: string; verified_purchase: boolean }): Promise<void> {
    await trx('reviews').where({ id }).update({ ...patch, updated_at: trx.fn.now() });
  }

  /**
   * Recomputes `verified_purchase` of one author's reviews of some products from their orders now.
   * @returns the products whose reviews changed
   */
  async refreshVerified(trx: Knex.Transaction, userId: number, productIds: number[], statuses: readonly string[]): Promise<number[]> {
    const { rows } = await trx.raw<{ rows: { product_id: number }[] }>(
      `UPDATE reviews r SET verified_purchase = v.verified
       FROM (
         SELECT r2.id, EXISTS (
           SELECT 1 FROM order_items i JOIN orders o ON o.id = i.order_id
           WHERE o.user_id = r2.user_id AND i.product_id = r2.product_id AND o.status = ANY(?::text[])
         ) AS verified
         FROM reviews r2 WHERE r2.user_id = ? AND r2.product_id = ANY(?::bigint[])
       ) v
       WHERE r.id = v.id AND r.verified_purchase IS DISTINCT FROM v.verified
       RETURNING r.product_id`,
      [[...statuses], userId, productIds],
    );
    return rows.map((row) => row.product_id);
  }

  async delete(trx: Knex.Transaction, id: number): Promise<void> {
    await trx('reviews').where({ id }).delete();
  }

  async setHidden(trx: Knex.Transaction, id: number, hidden: boolean, staffId: number, reason: string): Promise<void> {
    await trx('reviews')
      .where({ id })
      .update(hidden ? { is_hidden: true, hidden_at: trx.fn.now(), hidden_by: staffId, hidden_reason: reason } : { is_hidden: false, hidden_at: null, hidden_by: null, hidden_reason: '' });
  }

  /**
   * Sets (or, with `helpful` undefined, toggles) the user's helpful vote: the vote row's primary key makes a
   * second vote impossible, and the review's counter follows the vote rows in the same transaction (triggers
   * on review_votes, which also count the votes a deleted user's cascade removes).
   */
  async vote(trx: Knex.Transaction, reviewId: number, userId: number, helpful: boolean | undefined): Promise<{ helpful: boolean; count: number }> {
    const exists = (await trx('review_votes').where({ review_id: reviewId, user_id: userId }).first('review_id')) !== undefined;
    const want = helpful ?? !exists;
    if (want && !exists) {
      await trx('review_votes').insert({ review_id: reviewId, user_id: userId }).onConflict(['review_id', 'user_id']).ignore();
    } else if (!want && exists) {
      await trx('review_votes').where({ review_id: reviewId, user_id: userId }).delete();
    }
    const row = await trx('reviews').where({ id: reviewId }).first<{ helpful_count: number } | undefined>('helpful_count');
    return { helpful: want, count: row?.helpful_count ?? 0 };
  }

  /** @returns the new report's id, or undefined when the user already has an open report on this review */
  async insertReport(trx: Knex.Transaction, report: { review_id: number; user_id: number; reason: ReportReason; description: string }): Promise<number | undefined> {
    const [row] = await trx('review_reports')
      .insert(report)
      .onConflict(trx.raw("(review_id, user_id) WHERE status = 'open'"))
      .ignore()
      .returning<{ id: number }[]>('id');
    return row?.id;
  }

  private reportsWhere(status: ReportStatus | 'all'): Knex.QueryBuilder {
    const query = this.db('review_reports');
    return status === 'all' ? query : query.where({ status });
  }

  async countReports(status: ReportStatus | 'all'): Promise<number> {
    const [row] = await this.reportsWhere(status).count<{ count: number }[]>({ count: '*' });
    return row?.count ?? 0;
  }

  async listReports(status: ReportStatus | 'all', limit: number, offset: number): Promise<{ report: ReportRow; review: ReviewRow }[]> {
    const reports = await this.reportsWhere(status).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit).offset(offset).select<ReportRow[]>('*');
    const reviews = new Map((await this.reviews().whereIn('r.id', [...new Set(reports.map((report) => report.review_id))]).select<ReviewRow[]>()).map((row) => [row.id, row]));
    return reports.flatMap((report) => {
      const review = reviews.get(report.review_id);
      return review ? [{ report, review }] : [];
    });
  }

  async lockReport(trx: Knex.Transaction, id: number): Promise<ReportRow | undefined> {
    return trx('review_reports').where({ id }).forUpdate().first<ReportRow | undefined>();
  }

  async findReport(id: number, db: Db = this.db): Promise<ReportRow | undefined> {
    return db('review_reports').where({ id }).first<ReportRow | undefined>();
  }

  /** Closes one report, or (without `reportId`) every open report of the review. */
  async closeReports(trx: Knex.Transaction, target: { reportId: number } | { reviewId: number }, status: 'resolved' | 'dismissed', staffId: number, note: string): Promise<void> {
    const query = trx('review_reports').where({ status: 'open' });
    if ('reportId' in target) query.andWhere({ id: target.reportId });
    else query.andWhere({ review_id: target.reviewId });
    await query.update({ status, handled_at: trx.fn.now(), handled_by: staffId, resolution_note: note });
  }
}
