/** A review with what its views show of the author and the product (joined in one query). */
export interface ReviewRow {
  id: number;
  user_id: number;
  product_id: number;
  rating: number;
  comment: string;
  verified_purchase: boolean;
  helpful_count: number;
  is_hidden: boolean;
  hidden_at: string | null;
  hidden_reason: string;
  created_at: string;
  updated_at: string;
  user_email: string;
  product_title: string;
  /** An inactive product's reviews are not public. */
  product_is_active: boolean;
}

export const REPORT_REASONS = ['inappropriate_content', 'spam', 'fake_review', 'offensive_language', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
export type ReportStatus = 'open' | 'resolved' | 'dismissed';

export interface ReportRow {
  id: number;
  review_id: number;
  user_id: number;
  reason: ReportReason;
  description: string;
  status: ReportStatus;
  created_at: string;
  handled_at: string | null;
  handled_by: number | null;
  resolution_note: string;
}
