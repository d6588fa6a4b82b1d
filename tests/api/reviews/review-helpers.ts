import request from 'supertest';
import type { TestApi } from '../../support/api';
import { bearer, type RegisteredUser } from '../../support/users';

/** The review object's keys, in the order nexus emits them (the old eight plus four). */
export const REVIEW_KEYS = [
  'id',
  'user',
  'user_email',
  'product',
  'product_title',
  'rating',
  'comment',
  'created_at',
  'updated_at',
  'verified_purchase',
  'helpful_count',
  'is_hidden',
];

export const REPORT_KEYS = ['id', 'review', 'reporter', 'reason', 'description', 'status', 'created_at', 'handled_at', 'handled_by', 'resolution_note'];

export const NO_REVIEW = { detail: 'No Review matches the given query.', code: 'not_found' };
export const NO_REPORT = { detail: 'No ReviewReport matches the given query.', code: 'not_found' };
export const ALREADY_REVIEWED = { non_field_errors: ['You have already reviewed this product.'], code: 'unique' };
export const PURCHASE_REQUIRED = { detail: 'Only customers who bought this product can review it.', code: 'purchase_required' };

export const LIST = '/api/v1/reviews/';
export const CREATE = '/api/v1/reviews/create/';
export const OWN = '/api/v1/reviews/user/';
export const REPORTS = '/api/v1/reviews/moderation/reports/';
export const review = (id: number | string) => `/api/v1/reviews/${id}/`;
export const updatePath = (id: number | string) => `/api/v1/reviews/${id}/update/`;
export const deletePath = (id: number | string) => `/api/v1/reviews/${id}/delete/`;
export const helpful = (id: number | string) => `/api/v1/reviews/${id}/helpful/`;
export const report = (id: number | string) => `/api/v1/reviews/${id}/report/`;
export const hide = (id: number | string) => `/api/v1/reviews/${id}/hide/`;
export const restore = (id: number | string) => `/api/v1/reviews/${id}/restore/`;
export const productReviews = (id: number | string) => `/api/v1/reviews/product/${id}/`;
export const productStats = (id: number | string) => `/api/v1/reviews/product/${id}/stats/`;
export const userReviews = (id: number | string) => `/api/v1/reviews/user/${id}/`;
export const resolve = (id: number | string) => `/api/v1/reviews/moderation/reports/${id}/resolve/`;
export const dismiss = (id: number | string) => `/api/v1/reviews/moderation/reports/${id}/dismiss/`;

export interface ReviewBody {
  id: number;
  user: number;
  user_email: string;
  product: number;
  product_title: string;
  rating: number;
  comment: string;
  created_at: string;
  updated_at: string;
  verified_purchase: boolean;
  helpful_count: number;
  is_hidden: boolean;
}

export interface ReviewRecord {
  id: number;
  user_id: number;
  product_id: number;
  rating: number;
  comment: string;
  verified_purchase: boolean;
  helpful_count: number;
  is_hidden: boolean;
  hidden_by: number | null;
  hidden_reason: string;
}

/** Writes a review through the API and expects the 201. */
export async function writeReview(api: TestApi, user: RegisteredUser, productId: number, rating: number, comment?: string): Promise<ReviewBody> {
  const body = comment === undefined ? { product: productId, rating } : { product: productId, rating, comment };
  const response = await request(api.app).post(CREATE).set(bearer(user.access)).send(body);
  if (response.status !== 201) throw new Error(`review failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as ReviewBody;
}

/** Reports a review through the API and returns the report id. */
export async function reportReview(api: TestApi, user: RegisteredUser, reviewId: number, reason = 'spam', description?: string): Promise<number> {
  const response = await request(api.app)
    .post(report(reviewId))
    .set(bearer(user.access))
    .send(description === undefined ? { reason } : { reason, description });
  if (response.status !== 200) throw new Error(`report failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.report_id as number;
}

export async function reviewRecord(api: TestApi, id: number): Promise<ReviewRecord | undefined> {
  return api.db('reviews').where({ id }).first<ReviewRecord | undefined>('id', 'user_id', 'product_id', 'rating', 'comment', 'verified_purchase', 'helpful_count', 'is_hidden', 'hidden_by', 'hidden_reason');
}

export async function countRows(api: TestApi, table: string, where: Record<string, unknown> = {}): Promise<number> {
  const [row] = await api.db(table).where(where).count<{ n: string | number }[]>({ n: '*' });
  return Number(row?.n ?? 0);
}

export interface Rating {
  reviews_count: number;
  rating_counts: number[];
  average_rating: number;
}

/** What the product row stores. */
export async function storedRating(api: TestApi, productId: number): Promise<Rating> {
  const row = await api.db('products').where({ id: productId }).first<{ reviews_count: number; rating_counts: number[]; average_rating: string }>('reviews_count', 'rating_counts', 'average_rating');
  return { reviews_count: row.reviews_count, rating_counts: row.rating_counts, average_rating: Number(row.average_rating) };
}

/** The same numbers recounted from the reviews table (visible reviews only, round(avg, 2)). */
export async function recountedRating(api: TestApi, productId: number): Promise<Rating> {
  const result = await api.db.raw<{ rows: { total: number; c1: number; c2: number; c3: number; c4: number; c5: number; average: string | null }[] }>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE rating = 1)::int AS c1, count(*) FILTER (WHERE rating = 2)::int AS c2,
            count(*) FILTER (WHERE rating = 3)::int AS c3, count(*) FILTER (WHERE rating = 4)::int AS c4,
            count(*) FILTER (WHERE rating = 5)::int AS c5,
            round(avg(rating)::numeric, 2)::text AS average
       FROM reviews WHERE product_id = ? AND NOT is_hidden`,
    [productId],
  );
  const row = result.rows[0] as { total: number; c1: number; c2: number; c3: number; c4: number; c5: number; average: string | null };
  return { reviews_count: row.total, rating_counts: [row.c1, row.c2, row.c3, row.c4, row.c5], average_rating: row.average === null ? 0 : Number(row.average) };
}

/** Every product whose stored rating disagrees with a recount (an empty list when all agree). */
export async function ratingMismatches(api: TestApi): Promise<{ id: number; stored: Rating; recounted: Rating }[]> {
  const ids = (await api.db('products').orderBy('id').select<{ id: number }[]>('id')).map((row) => row.id);
  const mismatches: { id: number; stored: Rating; recounted: Rating }[] = [];
  for (const id of ids) {
    const stored = await storedRating(api, id);
    const recounted = await recountedRating(api, id);
    if (JSON.stringify(stored) !== JSON.stringify(recounted)) mismatches.push({ id, stored, recounted });
  }
  return mismatches;
}

/** round(x, 2) of a list of ratings, as PostgreSQL's numeric round (half away from zero) gives it. */
export function expectedAverage(ratings: number[]): number {
  if (ratings.length === 0) return 0;
  const sum = ratings.reduce((total, value) => total + value, 0);
  // Integer arithmetic: sum * 100 / n, rounded half up (all values are positive).
  const scaled = Math.floor((sum * 1000) / ratings.length);
  return Math.floor((scaled + 5) / 10) / 100;
}

/** The stats body for a list of visible ratings. */
export function expectedStats(ratings: number[]): { total_reviews: number; average_rating: number; rating_distribution: Record<string, number> } {
  const distribution: Record<string, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
  for (const rating of ratings) distribution[String(rating)] = (distribution[String(rating)] ?? 0) + 1;
  return { total_reviews: ratings.length, average_rating: expectedAverage(ratings), rating_distribution: distribution };
}

export function idsOf(response: request.Response): number[] {
  return (response.body.results as { id: number }[]).map((item) => item.id);
}

/** Places an order for one product through the API (pending, unpaid). */
export async function placeOrderFor(api: TestApi, user: RegisteredUser, productId: number): Promise<number> {
  const response = await request(api.app).post('/api/v1/orders/create/').set(bearer(user.access)).send({ items: [{ product_id: productId, quantity: 1 }] });
  if (response.status !== 201) throw new Error(`order failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id as number;
}

export async function payFor(api: TestApi, user: RegisteredUser, orderId: number): Promise<void> {
  const response = await request(api.app).post(`/api/v1/orders/${orderId}/payment/`).set(bearer(user.access)).send({ payment_method: 'paypal' });
  if (response.status !== 200) throw new Error(`payment failed: ${response.status} ${JSON.stringify(response.body)}`);
}

export async function moveOrder(api: TestApi, staff: RegisteredUser, orderId: number, status: string): Promise<void> {
  const response = await request(api.app).patch(`/api/v1/orders/admin/${orderId}/update-status/`).set(bearer(staff.access)).send({ status });
  if (response.status !== 200) throw new Error(`update-status ${status} failed: ${response.status} ${JSON.stringify(response.body)}`);
}

/** An order for the product taken through the API to `status` (pending, paid, processing, shipped or delivered). */
export async function orderInStatus(api: TestApi, customer: RegisteredUser, staff: RegisteredUser, productId: number, status: 'pending' | 'paid' | 'processing' | 'shipped' | 'delivered'): Promise<number> {
  const orderId = await placeOrderFor(api, customer, productId);
  if (status === 'pending') return orderId;
  await payFor(api, customer, orderId);
  for (const next of ['processing', 'shipped', 'delivered'] as const) {
    if (status === 'paid') break;
    await moveOrder(api, staff, orderId, next);
    if (next === status) break;
  }
  const row = await api.db('orders').where({ id: orderId }).first<{ status: string }>('status');
  if (row.status !== status) throw new Error(`order ${orderId} is ${row.status}, not ${status}`);
  return orderId;
}
