import type { Knex } from '../../db/connection';

export interface RatingMismatch {
  id: number;
  stored: { reviews_count: number; rating_counts: number[]; average_rating: string };
  recounted: { reviews_count: number; rating_counts: number[]; average_rating: string };
}

/**
 * Every product whose stored rating columns (reviews_count, rating_counts, average_rating) differ from a recount
 * of its visible reviews (round(avg, 2)), in one set-based query: fine for 100,000 products. Empty when all agree.
 */
export async function ratingMismatches(db: Knex): Promise<RatingMismatch[]> {
  const { rows } = await db.raw<{ rows: RatingMismatch[] }>(`
    WITH recount AS (
      SELECT product_id, count(*)::int AS total,
             ARRAY[count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
                   count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5)]::int[] AS counts,
             round(avg(rating), 2) AS average
        FROM reviews WHERE NOT is_hidden GROUP BY product_id)
    SELECT p.id,
           json_build_object('reviews_count', p.reviews_count, 'rating_counts', p.rating_counts, 'average_rating', p.average_rating::text) AS stored,
           json_build_object('reviews_count', coalesce(r.total, 0), 'rating_counts', coalesce(r.counts, '{0,0,0,0,0}'),
                             'average_rating', coalesce(r.average, 0)::numeric(3, 2)::text) AS recounted
      FROM products p LEFT JOIN recount r ON r.product_id = p.id
     WHERE p.reviews_count <> coalesce(r.total, 0)
        OR p.rating_counts <> coalesce(r.counts, '{0,0,0,0,0}')
        OR p.average_rating <> coalesce(r.average, 0)
     ORDER BY p.id`);
  return rows;
}
