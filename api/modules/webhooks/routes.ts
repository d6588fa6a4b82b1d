import { noMatch } from '../../errors';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { idParam } from '../../http/fields';
import { pageEnvelopeSchema, paginate } from '../../http/pagination';
import { apiActor } from '../audit';
import { replayExample, subscriptionPatchExample } from './examples';
import {
  deliveryDetailSchema,
  deliveryListQuery,
  deliveryParams,
  deliverySchema,
  subscriptionBody,
  subscriptionListQuery,
  subscriptionPatchBody,
  subscriptionSchema,
  subscriptionWithSecretSchema,
  testEventSchema,
} from './schemas';
import type { WebhookSubscriptions } from './service';

const TAGS = ['Webhooks (staff)'];
const COLLECTION = '/admin/webhooks';
const ITEM = '/admin/webhooks/:id';

/** The staff API of webhook subscriptions, their delivery log and replays; mounted at /api/v1. */
export function webhookEndpoints(webhooks: WebhookSubscriptions): Endpoint[] {
  const unknownSubscription = noMatch('WebhookSubscription');
  const unknownDelivery = noMatch('WebhookDelivery');
  return [
    defineEndpoint({
      method: 'get',
      path: COLLECTION,
      summary: 'Webhook subscriptions, newest first',
      operationId: 'listWebhookSubscriptions',
      tags: TAGS,
      access: 'staff',
      query: subscriptionListQuery,
      invalidInput: { query: { page: ['2', '3'] } },
      responses: { 200: { description: 'A page of subscriptions (never their secrets)', schema: pageEnvelopeSchema(subscriptionSchema) } },
      handle: async ({ req }) => ({ status: 200, body: await paginate(req, () => webhooks.count(), (limit, offset) => webhooks.list(limit, offset)) }),
    }),
    defineEndpoint({
      method: 'post',
      path: COLLECTION,
      summary: 'Subscribe a URL to events',
      description:
        'Answers with the signing secret (`whsec_…`), shown this once. The URL must be http(s) (https in production), carry no credentials, and resolve only to public addresses (400 on `url` otherwise; see docs/webhooks.md).',
      operationId: 'createWebhookSubscription',
      tags: TAGS,
      access: 'staff',
      body: subscriptionBody,
      invalidInput: { body: { url: 'https://fulfilment.example.com/hooks/nexus', events: ['order.lost'] } },
      responses: { 201: { description: 'The subscription with its secret', schema: subscriptionWithSecretSchema } },
      handle: async ({ auth, body }) => ({ status: 201, body: await webhooks.create(apiActor(auth), body) }),
    }),
    defineEndpoint({
      method: 'get',
      path: ITEM,
      summary: 'One webhook subscription',
      operationId: 'getWebhookSubscription',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      errors: [unknownSubscription],
      responses: { 200: { description: 'The subscription (never its secret)', schema: subscriptionSchema } },
      handle: async ({ params }) => ({ status: 200, body: await webhooks.find(params.id) }),
    }),
    defineEndpoint({
      method: 'patch',
      path: ITEM,
      summary: 'Change a subscription’s URL, events, description, or re-activate it',
      operationId: 'updateWebhookSubscription',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      body: subscriptionPatchBody,
      invalidInput: { body: { ...subscriptionPatchExample, events: [] } },
      errors: [unknownSubscription],
      responses: { 200: { description: 'The subscription after the change', schema: subscriptionSchema } },
      handle: async ({ auth, params, body }) => ({ status: 200, body: await webhooks.update(apiActor(auth), params.id, body) }),
    }),
    defineEndpoint({
      method: 'delete',
      path: ITEM,
      summary: 'Delete a subscription and its delivery log',
      operationId: 'deleteWebhookSubscription',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      errors: [unknownSubscription],
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ auth, params }) => {
        await webhooks.remove(apiActor(auth), params.id);
        return { status: 204 };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: `${ITEM}/rotate-secret`,
      summary: 'Replace the signing secret',
      description: 'The new secret signs every attempt from now on (the old one stops at once) and is shown this once.',
      operationId: 'rotateWebhookSecret',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      errors: [unknownSubscription],
      responses: { 200: { description: 'The subscription with its new secret', schema: subscriptionWithSecretSchema } },
      handle: async ({ auth, params }) => ({ status: 200, body: await webhooks.rotateSecret(apiActor(auth), params.id) }),
    }),
    defineEndpoint({
      method: 'post',
      path: `${ITEM}/test`,
      summary: 'Send a `webhook.test` event to this subscription',
      description: 'The worker delivers it like any other event; follow it in the delivery log by its `event_id`.',
      operationId: 'testWebhookSubscription',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      errors: [unknownSubscription],
      responses: { 202: { description: 'The test event, recorded for delivery', schema: testEventSchema } },
      handle: async ({ auth, params }) => ({ status: 202, body: await webhooks.sendTest(apiActor(auth), params.id) }),
    }),
    defineEndpoint({
      method: 'get',
      path: `${ITEM}/deliveries`,
      summary: 'The delivery log of a subscription, newest first',
      operationId: 'listWebhookDeliveries',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      query: deliveryListQuery,
      invalidInput: { query: { status: 'lost' } },
      errors: [unknownSubscription],
      responses: { 200: { description: 'A page of deliveries', schema: pageEnvelopeSchema(deliverySchema) } },
      handle: async ({ req, params, query }) => ({
        status: 200,
        body: await paginate(req, () => webhooks.countDeliveries(params.id, query.status), (limit, offset) => webhooks.deliveries(params.id, query.status, limit, offset)),
      }),
    }),
    defineEndpoint({
      method: 'get',
      path: `${ITEM}/deliveries/:deliveryId`,
      summary: 'One delivery with the event sent and every attempt',
      operationId: 'getWebhookDelivery',
      tags: TAGS,
      access: 'staff',
      params: deliveryParams,
      errors: [unknownSubscription, unknownDelivery],
      responses: { 200: { description: 'The delivery', schema: deliveryDetailSchema } },
      handle: async ({ params }) => ({ status: 200, body: await webhooks.delivery(params.id, params.deliveryId) }),
    }),
    defineEndpoint({
      method: 'post',
      path: `${ITEM}/deliveries/:deliveryId/replay`,
      summary: 'Deliver the same event again',
      description: 'Same event id (receivers deduplicate on it), a fresh retry window. The worker picks the request up on its next poll.',
      operationId: 'replayWebhookDelivery',
      tags: TAGS,
      access: 'staff',
      params: deliveryParams,
      errors: [unknownSubscription, unknownDelivery],
      responses: { 202: { description: 'The delivery, waiting to be sent again', schema: deliverySchema, example: replayExample } },
      handle: async ({ auth, params }) => ({ status: 202, body: await webhooks.replay(apiActor(auth), params.id, params.deliveryId) }),
    }),
  ];
}
