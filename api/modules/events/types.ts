/** Every event nexus announces. Subscriptions name these (or `*` for all). */
export const EVENT_TYPES = [
  'order.placed',
  'order.paid',
  'order.cancelled',
  'order.expired',
  'order.failed',
  'order.processing',
  'order.shipped',
  'order.delivered',
  'product.created',
  'product.updated',
  'product.deactivated',
  'product.deleted',
  'product.low_stock',
  'review.reported',
  'user.registered',
  'webhook.disabled',
  'webhook.test',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The version of the resource shapes in `data.object`: the wire version of the REST API. */
export const EVENT_API_VERSION = 'v1';

/** What a receiver gets: the same JSON in the webhook body and in the delivery log. */
export interface EventEnvelope {
  id: string;
  type: EventType;
  created_at: string;
  api_version: string;
  /** `object` is the resource as the REST API returns it; other keys give context (previous status, refund). */
  data: { object: unknown; [context: string]: unknown };
}

export interface EventRow {
  id: string;
  sequence: string;
  type: EventType;
  resource_type: string;
  resource_id: string;
  payload: EventEnvelope;
  only_subscription_id: string | null;
  created_at: Date;
  relayed_at: Date | null;
}

/** Events the worker mails the customer about (templates/mail/<type>.*). */
export const MAILED_EVENTS: readonly EventType[] = ['order.placed', 'order.paid', 'order.shipped', 'order.cancelled', 'order.expired'];
