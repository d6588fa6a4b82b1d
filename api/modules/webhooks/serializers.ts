import type { AttemptRow, DeliveryLogRow, SubscriptionRow } from './model';

/** A subscription as staff see it, everywhere (API, CLI, audit log, `webhook.disabled` events): never the secret. */
export type SubscriptionView = Omit<SubscriptionRow, 'secret_ciphertext'>;

/** Shown once, when the secret is made (creation, rotation). */
export interface SubscriptionWithSecret extends SubscriptionView {
  secret: string;
}

export interface DeliveryView {
  id: number;
  subscription_id: number;
  event_id: string;
  event_type: string;
  status: DeliveryLogRow['status'];
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  /** The start of the receiver's answer to the last attempt. */
  response_excerpt: string | null;
  first_attempt_at: string | null;
  next_attempt_at: string | null;
  completed_at: string | null;
  replay_requested_at: string | null;
  created_at: string;
}

export interface AttemptView {
  attempt: number;
  started_at: string;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response_excerpt: string | null;
  outcome: AttemptRow['outcome'];
}

export interface DeliveryDetail extends DeliveryView {
  /** The event exactly as it was sent (the body of every attempt). */
  event: unknown;
  attempt_log: AttemptView[];
}

export function subscriptionView(row: SubscriptionRow): SubscriptionView {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    is_active: row.is_active,
    consecutive_failures: row.consecutive_failures,
    disabled_at: row.disabled_at,
    disabled_reason: row.disabled_reason,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function deliveryView(row: DeliveryLogRow): DeliveryView {
  return {
    id: row.id,
    subscription_id: row.subscription_id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    last_latency_ms: row.last_latency_ms,
    response_excerpt: row.response_excerpt,
    first_attempt_at: row.first_attempt_at,
    next_attempt_at: row.next_attempt_at,
    completed_at: row.completed_at,
    replay_requested_at: row.replay_requested_at,
    created_at: row.created_at,
  };
}

export function attemptView(row: AttemptRow): AttemptView {
  return {
    attempt: row.attempt,
    started_at: row.started_at,
    status_code: row.status_code,
    error: row.error,
    latency_ms: row.latency_ms,
    response_excerpt: row.response_excerpt,
    outcome: row.outcome,
  };
}
