import { z } from 'zod';
import { boolean, idParam, optionalText } from '../../http/fields';
import { ALL_EVENTS, DELIVERY_STATUSES, SUBSCRIBABLE_EVENTS } from './model';
import { MAX_URL_LENGTH } from './url-safety';
import {
  deliveryDetailExample,
  deliveryExample,
  subscriptionBodyExample,
  subscriptionExample,
  subscriptionPatchExample,
  subscriptionWithSecretExample,
  testEventExample,
} from './examples';

export const MAX_EVENTS = 50;
const timestamp = z.string().meta({ description: 'ISO 8601, UTC' });

// The SSRF rules (scheme, credentials, addresses) run after this, in the service, so the CLI obeys them too.
const urlField = z
  .string()
  .trim()
  .min(1)
  .max(MAX_URL_LENGTH)
  .meta({ description: 'Where events are POSTed: http or https (https only in production), no credentials, a host that resolves to public addresses.' });

const eventsField = z
  .array(z.enum([ALL_EVENTS, ...SUBSCRIBABLE_EVENTS]))
  .min(1)
  .max(MAX_EVENTS)
  .meta({ description: `Event types to receive, or \`["${ALL_EVENTS}"]\` for all of them.` });

/** Unknown fields are refused, by name: a client that sends `secret` must learn that it cannot choose one. */
const refuseUnknown = { error: (issue: z.core.$ZodRawIssue) => (issue.code === 'unrecognized_keys' ? `Unknown field: ${issue.keys.join(', ')}.` : undefined) };

export const subscriptionBody = z
  .strictObject({
    url: urlField,
    events: eventsField,
    description: optionalText(200),
  }, refuseUnknown)
  .meta({ example: subscriptionBodyExample });

export const subscriptionPatchBody = z
  .strictObject({
    url: urlField.optional(),
    events: eventsField.optional(),
    description: optionalText(200),
    is_active: boolean().optional().meta({ description: '`true` re-activates a disabled subscription (its failure count starts again from 0).' }),
  }, refuseUnknown)
  .meta({ example: subscriptionPatchExample });

/** What the service takes from any door; it validates with the schemas above (a CLI flag is any text). */
export interface SubscriptionInput {
  url: string;
  events: readonly string[];
  description?: string;
}
export type SubscriptionPatch = Partial<SubscriptionInput> & { is_active?: boolean };

export const subscriptionSchema = z
  .object({
    id: z.number().int(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string(),
    is_active: z.boolean(),
    consecutive_failures: z.number().int().meta({ description: 'Failed attempts since the last success; WEBHOOK_DISABLE_AFTER of them disable the subscription.' }),
    disabled_at: timestamp.nullable(),
    disabled_reason: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'WebhookSubscription', example: subscriptionExample });

export const subscriptionWithSecretSchema = subscriptionSchema
  .extend({ secret: z.string().meta({ description: 'The signing secret. Shown only in this answer: store it now.' }) })
  .meta({ id: 'WebhookSubscriptionWithSecret', example: subscriptionWithSecretExample });

export const deliverySchema = z
  .object({
    id: z.number().int(),
    subscription_id: z.number().int(),
    event_id: z.string().meta({ description: 'The same in every attempt: receivers deduplicate on it.' }),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_latency_ms: z.number().int().nullable(),
    response_excerpt: z.string().nullable().meta({ description: 'The first 1 KiB of the last answer.' }),
    first_attempt_at: timestamp.nullable(),
    next_attempt_at: timestamp.nullable(),
    completed_at: timestamp.nullable(),
    replay_requested_at: timestamp.nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'WebhookDelivery', example: deliveryExample });

const attemptSchema = z.object({
  attempt: z.number().int(),
  started_at: timestamp,
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
  latency_ms: z.number().int(),
  response_excerpt: z.string().nullable(),
  outcome: z.enum(['succeeded', 'retry', 'failed']),
});

export const deliveryDetailSchema = deliverySchema
  .extend({
    event: z.record(z.string(), z.unknown()).meta({ description: 'The event as it is POSTed: `id`, `type`, `created_at`, `api_version`, `data`.' }),
    attempt_log: z.array(attemptSchema),
  })
  .meta({ id: 'WebhookDeliveryDetail', example: deliveryDetailExample });

export const testEventSchema = z.object({ event_id: z.string() }).meta({ id: 'WebhookTestEvent', example: testEventExample });

export const deliveryListQuery = z.object({
  page: z.string().optional().meta({ description: 'Page number (1-based) or `last`.' }),
  status: z.enum(DELIVERY_STATUSES).optional().meta({ description: 'Only deliveries in this state.' }),
});

export const subscriptionListQuery = z.object({ page: z.string().optional().meta({ description: 'Page number (1-based) or `last`.' }) });

/** `/admin/webhooks/:id/deliveries/:deliveryId`: both ids digits only, as `idParam`. */
export const deliveryParams = z.object({ id: idParam.shape.id, deliveryId: idParam.shape.id });
