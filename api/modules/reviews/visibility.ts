import type { Knex } from 'knex';

/**
 * Who may see a review: the one rule behind every review read and write. A review is public unless it is
 * hidden by a moderator or its product is inactive; its author and staff see it whatever its state.
 */

export interface Viewer {
  id: number;
  isStaff: boolean;
}

export interface ReviewVisibility {
  user_id: number;
  is_hidden: boolean;
  product_is_active: boolean;
}

export function isPublic(review: ReviewVisibility): boolean {
  return !review.is_hidden && review.product_is_active;
}

/** Without a viewer, the anonymous public. */
export function canSee(review: ReviewVisibility, viewer?: Viewer): boolean {
  return isPublic(review) || viewer?.isStaff === true || viewer?.id === review.user_id;
}

/**
 * Votes and reports belong to a review's public face: they reach only what the public sees. Staff deal
 * with the others through moderation, and authors cannot vote on or report their own anyway.
 */
export const canInteract = isPublic;

/** `isPublic` as SQL, for list queries over `reviews as r`. */
export function wherePublic(query: Knex.QueryBuilder): Knex.QueryBuilder {
  return query.where('r.is_hidden', false).whereExists((active) => active.select(1).from('products as vp').whereRaw('vp.id = r.product_id').andWhere('vp.is_active', true));
}
