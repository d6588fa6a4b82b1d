import { noMatch } from '../../errors';
import { apiActor } from '../audit';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { idParam } from '../../http/fields';
import { pageEnvelopeSchema, paginate } from '../../http/pagination';
import { ownReviewExample, resolvedReportExample } from './examples';
import { reportClosed, visibilityUnchanged, type ModerationService } from './moderation';
import { moderationNoteBody, reportListQuery, reportSchema, resolveReportBody, reviewSchema } from './schemas';
import { reportView, reviewView } from './serializers';

const TAGS = ['Reviews (moderation)'];

/** Staff only. Mounted before the review routes: `/reviews/moderation/…` is not a review id. */
export function moderationEndpoints(moderation: ModerationService): Endpoint[] {
  const close = (status: 'resolved' | 'dismissed') =>
    defineEndpoint({
      method: 'post',
      path: `/reviews/moderation/reports/:id/${status === 'resolved' ? 'resolve' : 'dismiss'}/`,
      summary: status === 'resolved' ? 'Resolve a report (optionally hiding the review)' : 'Dismiss a report',
      operationId: status === 'resolved' ? 'resolveReviewReport' : 'dismissReviewReport',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      body: status === 'resolved' ? resolveReportBody : moderationNoteBody,
      invalidInput: { body: status === 'resolved' ? { hide_review: 'maybe' } : { note: ['Spam', 'Ads'] } },
      errors: [noMatch('ReviewReport'), reportClosed(status === 'resolved' ? 'dismissed' : 'resolved')],
      responses: {
        200: {
          description: 'The report',
          schema: reportSchema,
          example: status === 'resolved' ? resolvedReportExample : { ...resolvedReportExample, review: { ...resolvedReportExample.review, is_hidden: false }, status: 'dismissed', resolution_note: 'Not advertising.' },
        },
      },
      handle: async ({ auth, params, body }) => {
        const hide = 'hide_review' in body && body.hide_review === true;
        const { report, review } = await moderation.close(apiActor(auth), params.id, status, body.note ?? '', hide);
        return { status: 200, body: reportView(report, review) };
      },
    });
  const visibility = (hidden: boolean) =>
    defineEndpoint({
      method: 'post',
      path: `/reviews/:id/${hidden ? 'hide' : 'restore'}/`,
      summary: hidden ? 'Hide a review (and resolve its open reports)' : 'Show a hidden review again',
      operationId: hidden ? 'hideReview' : 'restoreReview',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      body: moderationNoteBody,
      invalidInput: { body: { note: ['Spam', 'Ads'] } },
      errors: [noMatch('Review'), visibilityUnchanged(hidden)],
      responses: { 200: { description: 'The review', schema: reviewSchema, example: { ...ownReviewExample, is_hidden: hidden } } },
      handle: async ({ auth, params, body }) => {
        const review = hidden ? await moderation.hide(apiActor(auth), params.id, body.note ?? '') : await moderation.restore(apiActor(auth), params.id);
        return { status: 200, body: reviewView(review, true) };
      },
    });

  return [
    defineEndpoint({
      method: 'get',
      path: '/reviews/moderation/reports/',
      summary: 'The report queue, newest first (open ones by default)',
      operationId: 'listReviewReports',
      tags: TAGS,
      access: 'staff',
      query: reportListQuery,
      invalidInput: { query: { status: 'closed' } },
      responses: { 200: { description: 'A page of reports', schema: pageEnvelopeSchema(reportSchema) } },
      handle: async ({ req, query }) => {
        const status = query.status ?? 'open';
        const body = await paginate(req, () => moderation.countReports(status), async (limit, offset) =>
          (await moderation.listReports(status, limit, offset)).map(({ report, review }) => reportView(report, review)),
        );
        return { status: 200, body };
      },
    }),
    close('resolved'),
    close('dismissed'),
    visibility(true),
    visibility(false),
  ];
}

