import { z } from 'zod';
import { boolean, integer, optionalText } from '../../http/fields';
import { REPORT_REASONS } from './model';
import { reportExample, reviewExample, statsExample } from './examples';

export const REVIEW_ORDERING_FIELDS = ['id', 'created_at', 'updated_at', 'rating', 'helpful_count'] as const;

/** DRF's ChoiceField message for a rating outside 1..5, whatever the type: `"6" is not a valid choice.` */
function choice(input: unknown): string | undefined {
  if (input === undefined) return 'This field is required.';
  if (input === null) return 'This field may not be null.';
  const text = typeof input === 'string' || typeof input === 'number' || typeof input === 'boolean' ? String(input) : JSON.stringify(input);
  return `"${text}" is not a valid choice.`;
}

const rating = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
  z
    .number({ error: (issue) => choice(issue.input) })
    // abort: a non-integer (2.5, 1e300) gets one message, not one per failed check.
    .int({ error: (issue) => choice(issue.input), abort: true })
    .min(1, { error: (issue) => choice(issue.input) })
    .max(5, { error: (issue) => choice(issue.input) }),
);

const positiveId = (typeMessage?: string) => integer(typeMessage).pipe(z.number().min(1).max(Number.MAX_SAFE_INTEGER));

function comment(maxLength: number) {
  // DRF's CharField: trimmed, numbers taken as text, NUL refused (PostgreSQL cannot store it); empty allowed, as before.
  return optionalText(maxLength);
}

export function createReviewBody(commentMaxLength: number) {
  return z.object({
    // No lower bound here: 0 or -1 is an unknown pk like any other (the old `Invalid pk "0" - object does not exist.`).
    product: integer('Incorrect type. Expected pk value.').pipe(z.number().max(Number.MAX_SAFE_INTEGER)).meta({ description: 'Product id' }),
    rating: rating.meta({ description: '1 to 5' }),
    comment: comment(commentMaxLength),
  }).meta({ example: { product: 5, rating: 5, comment: reviewExample.comment } });
}

/** PUT needs `rating` (as the old API did); PATCH any subset. `product` is ignored, as before. */
export function updateReviewBody(commentMaxLength: number, partial: boolean) {
  return z
    .object({ rating: partial ? rating.optional() : rating, comment: comment(commentMaxLength) })
    .meta({ example: partial ? { comment: 'Started a flat van battery three times on one charge.' } : { rating: 4, comment: 'Good, but the clamps are short.' } });
}

export const helpfulBody = z.object({
  helpful: boolean().optional().meta({ description: 'true marks, false unmarks; absent toggles.' }),
}).meta({ example: { helpful: true } });

export const reportBody = z.object({
  reason: z.enum(REPORT_REASONS, { error: (issue) => (issue.input === undefined ? 'This field is required.' : 'Invalid reason.') }),
  description: optionalText(1000),
}).meta({ example: { reason: 'spam', description: 'Links to another shop.' } });

export const moderationNoteBody = z.object({
  note: optionalText(1000).meta({ description: 'Why (kept with the review or the report).' }),
}).meta({ example: { note: 'Advertising.' } });

export const resolveReportBody = moderationNoteBody.extend({
  hide_review: boolean().optional().meta({ description: 'Also hide the reported review.' }),
}).meta({ example: { note: 'Advertising.', hide_review: true } });

const ordering = z.string().optional().meta({ description: `One of ${REVIEW_ORDERING_FIELDS.join(', ')}; \`-\` for descending. Default: newest first.` });
const page = z.string().optional().meta({ description: 'Page number (1-based) or `last`.' });

export const pagedQuery = z.object({ page, ordering });

export const reviewListQuery = pagedQuery.extend({
  product: positiveId().optional().meta({ description: 'Only reviews of this product.' }),
  user: positiveId().optional().meta({ description: 'Only reviews by this user.' }),
  rating: rating.optional().meta({ description: 'Only reviews with this rating.' }),
  verified_purchase: boolean().optional().meta({ description: 'Only verified (or unverified) purchases.' }),
});

export const reportListQuery = z.object({
  page,
  status: z.enum(['open', 'resolved', 'dismissed', 'all']).optional().meta({ description: 'Default: open.' }),
});

export const productIdParam = z.object({ product_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
export const userIdParam = z.object({ user_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export const reviewSchema = z
  .object({
    id: z.number().int(),
    user: z.number().int(),
    user_email: z.string().meta({ description: 'Masked (`a***@example.com`) except for the author and staff.' }),
    product: z.number().int(),
    product_title: z.string(),
    rating: z.number().int(),
    comment: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    verified_purchase: z.boolean(),
    helpful_count: z.number().int(),
    is_hidden: z.boolean().meta({ description: 'Hidden by a moderator: seen only by its author and staff.' }),
  })
  .meta({ id: 'Review', example: reviewExample });

export const statsSchema = z
  .object({
    total_reviews: z.number().int(),
    average_rating: z.number(),
    rating_distribution: z.object({ 1: z.number().int(), 2: z.number().int(), 3: z.number().int(), 4: z.number().int(), 5: z.number().int() }),
  })
  .meta({ id: 'ReviewStats', example: statsExample });

export const helpfulSchema = z.object({ message: z.string(), review_id: z.number().int(), helpful: z.boolean(), helpful_count: z.number().int() });

export const reportedSchema = z.object({ message: z.string(), review_id: z.number().int(), reason: z.string(), report_id: z.number().int() });

export const reportSchema = z
  .object({
    id: z.number().int(),
    review: reviewSchema,
    reporter: z.number().int(),
    reason: z.enum(REPORT_REASONS),
    description: z.string(),
    status: z.enum(['open', 'resolved', 'dismissed']),
    created_at: z.string(),
    handled_at: z.string().nullable(),
    handled_by: z.number().int().nullable(),
    resolution_note: z.string(),
  })
  .meta({ id: 'ReviewReport', example: reportExample });

export type ReviewListQuery = z.output<typeof reviewListQuery>;
export type ReviewView = z.output<typeof reviewSchema>;
export type ReportView = z.output<typeof reportSchema>;
export type StatsView = z.output<typeof statsSchema>;
