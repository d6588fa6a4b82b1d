import type { ReportRow, ReviewRow } from './model';
import type { ReportView, ReviewView, StatsView } from './schemas';

/** "a***@example.com": enough for a reader to tell reviewers apart, not enough to mail them. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}

/** @param fullEmail the viewer is the author or staff */
export function reviewView(row: ReviewRow, fullEmail = false): ReviewView {
  return {
    id: row.id,
    user: row.user_id,
    user_email: fullEmail ? row.user_email : maskEmail(row.user_email),
    product: row.product_id,
    product_title: row.product_title,
    rating: row.rating,
    comment: row.comment,
    created_at: row.created_at,
    updated_at: row.updated_at,
    verified_purchase: row.verified_purchase,
    helpful_count: row.helpful_count,
    is_hidden: row.is_hidden,
  };
}

export function reportView(report: ReportRow, review: ReviewRow): ReportView {
  return {
    id: report.id,
    review: reviewView(review, true),
    reporter: report.user_id,
    reason: report.reason,
    description: report.description,
    status: report.status,
    created_at: report.created_at,
    handled_at: report.handled_at,
    handled_by: report.handled_by,
    resolution_note: report.resolution_note,
  };
}

/** The old stats shape from the product's denormalised counts: no aggregation over its reviews. */
export function statsView(counts: number[], averageRating: string): StatsView {
  const [one = 0, two = 0, three = 0, four = 0, five = 0] = counts;
  const total = one + two + three + four + five;
  return {
    total_reviews: total,
    average_rating: total === 0 ? 0 : Number(averageRating),
    rating_distribution: { 1: one, 2: two, 3: three, 4: four, 5: five },
  };
}
