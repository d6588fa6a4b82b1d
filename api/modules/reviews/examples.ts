/**
 * Examples for the OpenAPI document: Ada's (user 23) review of the jump starter she bought, and a report on
 * another customer's review, as `nexus dev` answers with them. Not typed (a schema's type cannot depend on
 * its own example): tests/api/docs/openapi-examples.test.ts checks each against its schema.
 */

/** As everyone but its author and staff see it: the email is masked. */
export const reviewExample = {
  id: 61,
  user: 23,
  user_email: 'a***@example.com',
  product: 5,
  product_title: 'Goodwin-Mayer Cordless Jump Starter K960',
  rating: 5,
  comment: 'Started a flat van battery twice on one charge.',
  created_at: '2026-12-07T06:11:28.295099Z',
  updated_at: '2026-12-07T06:11:28.295099Z',
  verified_purchase: true,
  helpful_count: 3,
  is_hidden: false,
};

/** As its author and staff see it. */
export const ownReviewExample = { ...reviewExample, user_email: 'ada@example.com' };

export const statsExample = { total_reviews: 2, average_rating: 4.5, rating_distribution: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 1 } };

export const reportExample = {
  id: 1,
  review: {
    id: 12,
    user: 12,
    user_email: 'theresia_roob.12@demo.nexus.test',
    product: 5,
    product_title: 'Goodwin-Mayer Cordless Jump Starter K960',
    rating: 4,
    comment: 'Great value, see my shop for more: cheap-starters.example',
    created_at: '2025-12-29T10:06:23.536000Z',
    updated_at: '2025-12-29T18:25:53.621000Z',
    verified_purchase: false,
    helpful_count: 1,
    is_hidden: false,
  },
  reporter: 23,
  reason: 'spam',
  description: 'Links to another shop.',
  status: 'open',
  created_at: '2026-12-07T06:11:30.454825Z',
  handled_at: null,
  handled_by: null,
  resolution_note: '',
};

export const resolvedReportExample = {
  ...reportExample,
  review: { ...reportExample.review, is_hidden: true },
  status: 'resolved',
  handled_at: '2026-12-07T09:02:11.318204Z',
  handled_by: 1,
  resolution_note: 'Advertising.',
};
