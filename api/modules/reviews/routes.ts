import { noMatch } from '../../errors';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { idParam } from '../../http/fields';
import { pageEnvelopeSchema, paginateCounted } from '../../http/pagination';
import { cachedReply, cacheScopes, type CatalogCache } from '../catalog';
import type { ReviewFilters } from './repository';
import {
  createReviewBody,
  helpfulBody,
  helpfulSchema,
  pagedQuery,
  productIdParam,
  reportBody,
  reportedSchema,
  reviewListQuery,
  reviewSchema,
  statsSchema,
  updateReviewBody,
  userIdParam,
} from './schemas';
import { reviewView } from './serializers';
import { ownReviewExample } from './examples';
import { alreadyReported, alreadyReviewed, ownReview, parseOrdering, purchaseRequired, type ReviewService } from './service';

const TAGS = ['Reviews'];
const reviewPage = pageEnvelopeSchema(reviewSchema);
const REPEATED_PAGE = { query: { page: ['2', '3'] } };

export function reviewEndpoints(reviews: ReviewService, cache: CatalogCache, commentMaxLength: number): Endpoint[] {
  /** A public page of visible reviews, cached (the same bytes for every reader: emails are masked). */
  const publicPage = (filters: Omit<ReviewFilters, 'visibleOnly'>, ordering: string | undefined) => ({
    count: () => reviews.count({ ...filters, visibleOnly: true }),
    fetch: async (limit: number, offset: number) => {
      const { rows, total } = await reviews.listCounted({ ...filters, visibleOnly: true }, parseOrdering(ordering), limit, offset);
      return { rows: rows.map((row) => reviewView(row)), total };
    },
  });
  const create = (path: string, summary: string, operationId: string) =>
    defineEndpoint({
      method: 'post',
      path,
      summary,
      description: 'One review per user and product. `verified_purchase` is set when the author has an order for the product in a verifying status.',
      operationId,
      tags: TAGS,
      access: 'user',
      body: createReviewBody(commentMaxLength),
      errors: [alreadyReviewed(), purchaseRequired()],
      responses: { 201: { description: 'The review', schema: reviewSchema, example: ownReviewExample } },
      handle: async ({ auth, body }) => ({ status: 201, body: reviewView(await reviews.create(auth.user.id, body), true) }),
    });
  const update = (method: 'put' | 'patch', path: string, operationId: string) =>
    defineEndpoint({
      method,
      path,
      summary: method === 'put' ? 'Replace your review\'s rating and comment' : 'Change your review',
      operationId,
      tags: TAGS,
      access: 'user',
      params: idParam,
      body: updateReviewBody(commentMaxLength, method === 'patch'),
      invalidInput: method === 'patch' ? { body: { rating: 6 } } : undefined,
      errors: [noMatch('Review')],
      responses: { 200: { description: 'The review', schema: reviewSchema, example: ownReviewExample } },
      handle: async ({ auth, params, body }) => ({ status: 200, body: reviewView(await reviews.update(auth.user.id, params.id, body), true) }),
    });
  const remove = (path: string, operationId: string) =>
    defineEndpoint({
      method: 'delete',
      path,
      summary: 'Delete your review',
      operationId,
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Review')],
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ auth, params }) => {
        await reviews.delete(auth.user.id, params.id);
        return { status: 204 };
      },
    });

  return [
    defineEndpoint({
      method: 'get',
      path: '/reviews/',
      summary: 'Visible reviews, newest first, with filters',
      operationId: 'listReviews',
      tags: TAGS,
      access: 'public',
      query: reviewListQuery,
      invalidInput: { query: { rating: '6' } },
      responses: { 200: { description: 'A page of reviews', schema: reviewPage } },
      handle: ({ req, res, query }) => {
        const page = publicPage({ productId: query.product, userId: query.user, rating: query.rating, verifiedPurchase: query.verified_purchase }, query.ordering);
        const scopes = [...(query.product ? [cacheScopes.productReviews(query.product)] : []), ...(query.user ? [cacheScopes.userReviews(query.user)] : [])];
        return cachedReply(cache, req, res, () => paginateCounted(req, page.count, page.fetch), scopes);
      },
    }),
    create('/reviews/', 'Write a review (REST alias of /reviews/create/)', 'createReviewAlias'),
    create('/reviews/create/', 'Write a review', 'createReview'),
    defineEndpoint({
      method: 'get',
      path: '/reviews/user/',
      summary: 'Your reviews, hidden ones included',
      operationId: 'ownReviews',
      tags: TAGS,
      access: 'user',
      query: pagedQuery,
      invalidInput: REPEATED_PAGE,
      responses: {
        200: { description: 'A page of reviews', schema: reviewPage, example: { count: 1, next: null, previous: null, results: [ownReviewExample] } },
      },
      handle: async ({ req, auth, query }) => {
        const filters = { userId: auth.user.id, visibleOnly: false };
        const ordering = parseOrdering(query.ordering);
        const body = await paginateCounted(req, () => reviews.count(filters), async (limit, offset) => {
          const { rows, total } = await reviews.listCounted(filters, ordering, limit, offset);
          return { rows: rows.map((row) => reviewView(row, true)), total };
        });
        return { status: 200, body };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/reviews/user/:user_id/',
      summary: 'A user\'s visible reviews (an empty page for an unknown user)',
      operationId: 'userReviews',
      tags: TAGS,
      access: 'public',
      params: userIdParam,
      query: pagedQuery,
      invalidInput: REPEATED_PAGE,
      responses: { 200: { description: 'A page of reviews', schema: reviewPage } },
      handle: ({ req, res, params, query }) => {
        const page = publicPage({ userId: params.user_id }, query.ordering);
        return cachedReply(cache, req, res, () => paginateCounted(req, page.count, page.fetch), [cacheScopes.userReviews(params.user_id)]);
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/reviews/product/:product_id/',
      summary: 'A product\'s visible reviews',
      operationId: 'productReviews',
      tags: TAGS,
      access: 'public',
      params: productIdParam,
      query: pagedQuery,
      invalidInput: REPEATED_PAGE,
      errors: [noMatch('Product')],
      responses: { 200: { description: 'A page of reviews', schema: reviewPage } },
      handle: ({ req, res, params, query }) => {
        const page = publicPage({ productId: params.product_id }, query.ordering);
        return cachedReply(
          cache,
          req,
          res,
          async () => {
            await reviews.requireVisibleProduct(params.product_id);
            return paginateCounted(req, page.count, page.fetch);
          },
          [cacheScopes.productReviews(params.product_id)],
        );
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/reviews/product/:product_id/stats/',
      summary: 'A product\'s rating: count, average and distribution',
      operationId: 'productReviewStats',
      tags: TAGS,
      access: 'public',
      params: productIdParam,
      errors: [noMatch('Product')],
      responses: { 200: { description: 'Stats', schema: statsSchema } },
      handle: ({ req, res, params }) => cachedReply(cache, req, res, () => reviews.stats(params.product_id), [cacheScopes.productRatings(params.product_id)]),
    }),
    defineEndpoint({
      method: 'get',
      path: '/reviews/:id/',
      summary: 'One review',
      operationId: 'getReview',
      tags: TAGS,
      access: 'public',
      params: idParam,
      errors: [noMatch('Review')],
      responses: { 200: { description: 'The review', schema: reviewSchema } },
      handle: async ({ auth, params }) => {
        const viewer = auth && { id: auth.user.id, isStaff: auth.user.is_staff };
        const review = await reviews.get(params.id, viewer);
        return { status: 200, body: reviewView(review, viewer !== undefined && (viewer.isStaff || viewer.id === review.user_id)) };
      },
    }),
    update('put', '/reviews/:id/update/', 'replaceReview'),
    update('patch', '/reviews/:id/update/', 'updateReview'),
    remove('/reviews/:id/delete/', 'deleteReview'),
    update('put', '/reviews/:id/', 'replaceReviewAlias'),
    update('patch', '/reviews/:id/', 'updateReviewAlias'),
    remove('/reviews/:id/', 'deleteReviewAlias'),
    defineEndpoint({
      method: 'post',
      path: '/reviews/:id/helpful/',
      summary: 'Mark a review helpful (or, sent again, unmark it)',
      description: 'One vote per user and review; authors cannot vote on their own. Without a body the vote toggles; `{"helpful": true|false}` sets it.',
      operationId: 'markReviewHelpful',
      tags: TAGS,
      access: 'user',
      params: idParam,
      body: helpfulBody,
      invalidInput: { body: { helpful: 'maybe' } },
      errors: [ownReview('vote on'), noMatch('Review')],
      responses: {
        200: {
          description: 'The vote and the new count',
          schema: helpfulSchema,
          example: { message: 'Review marked as helpful.', review_id: 12, helpful: true, helpful_count: 2 },
        },
      },
      handle: async ({ auth, params, body }) => {
        const vote = await reviews.vote(auth.user.id, params.id, body.helpful);
        const message = vote.helpful ? 'Review marked as helpful.' : 'Helpful mark removed.';
        return { status: 200, body: { message, review_id: params.id, helpful: vote.helpful, helpful_count: vote.count } };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/reviews/:id/report/',
      summary: 'Report a review to the moderators',
      operationId: 'reportReview',
      tags: TAGS,
      access: 'user',
      params: idParam,
      body: reportBody,
      errors: [ownReview('report'), noMatch('Review'), alreadyReported()],
      responses: {
        200: { description: 'Reported', schema: reportedSchema, example: { message: 'Review reported successfully.', review_id: 12, reason: 'spam', report_id: 1 } },
      },
      handle: async ({ auth, params, body }) => {
        const reportId = await reviews.report(auth.user.id, params.id, body.reason, body.description ?? '');
        return { status: 200, body: { message: 'Review reported successfully.', review_id: params.id, reason: body.reason, report_id: reportId } };
      },
    }),
  ];
}
