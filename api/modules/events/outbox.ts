import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { EVENT_API_VERSION, type EventEnvelope, type EventType } from './types';

export interface NewEvent {
  type: EventType;
  resource: { type: string; id: string | number };
  /** The resource as the REST API returns it. */
  object: unknown;
  /** Context beside the resource (previous status, refund, threshold). */
  context?: Record<string, unknown>;
  /** Deliver to this subscription only (a test ping). */
  onlySubscriptionId?: number;
}

/**
 * Writes an event into the outbox inside the caller's transaction: it commits with the change it announces or
 * not at all. Nothing is sent from here; the worker relays committed events.
 * @returns the event's id (stable across every delivery attempt, for receivers to deduplicate on)
 */
export async function recordEvent(trx: Knex.Transaction, event: NewEvent): Promise<string> {
  const id = randomUUID();
  // The transaction's time, like every other timestamp the change wrote.
  const clock = await trx.raw<{ rows: [{ now: string }] }>(`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS now`);
  const [{ now }] = clock.rows;
  const payload: EventEnvelope = {
    id,
    type: event.type,
    created_at: now,
    api_version: EVENT_API_VERSION,
    data: { object: event.object, ...event.context },
  };
  await trx('events').insert({
    id,
    type: event.type,
    resource_type: event.resource.type,
    resource_id: String(event.resource.id),
    payload: JSON.stringify(payload),
    only_subscription_id: event.onlySubscriptionId ?? null,
    created_at: now,
  });
  return id;
}
