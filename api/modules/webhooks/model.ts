import { EVENT_TYPES, type EventType } from '../events';

/** Every event for the subscriptions that name it. */
export const ALL_EVENTS = '*';

/**
 * Event types a subscription may name. `webhook.test` is not one: a test ping goes to the one subscription it
 * was sent to, whatever that subscription listens for.
 */
export const SUBSCRIBABLE_EVENTS = EVENT_TYPES.filter((type): type is Exclude<EventType, 'webhook.test'> => type !== 'webhook.test');

export const DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Timestamps are ISO strings (db/connection.ts parses timestamptz so), ids numbers. */
export interface SubscriptionRow {
  id: number;
  url: string;
  events: string[];
  description: string;
  secret_ciphertext: string;
  is_active: boolean;
  consecutive_failures: number;
  disabled_at: string | null;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface DeliveryRow {
  id: number;
  subscription_id: number;
  event_id: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  first_attempt_at: string | null;
  next_attempt_at: string | null;
  completed_at: string | null;
  replay_requested_at: string | null;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
}

/** A delivery as the log lists it: with its event's type and the last attempt's response excerpt. */
export interface DeliveryLogRow extends DeliveryRow {
  event_type: string;
  response_excerpt: string | null;
}

export interface AttemptRow {
  id: number;
  delivery_id: number;
  attempt: number;
  started_at: string;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response_excerpt: string | null;
  outcome: 'succeeded' | 'retry' | 'failed';
}
