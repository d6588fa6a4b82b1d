import type { Knex } from 'knex';
import type { AttemptRow, DeliveryRow, DeliveryStatus, SubscriptionRow } from './model';

type Db = Knex | Knex.Transaction;

/** What one attempt wrote: a row of webhook_attempts and the summary on its delivery. */
export interface AttemptRecord {
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  excerpt: string | null;
  outcome: AttemptRow['outcome'];
  /** The delivery's state after it; `next` is set for a retry. */
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
}

const OPEN: DeliveryStatus[] = ['pending', 'retrying'];
const truncate = (text: string | null, length: number) => (text === null ? null : text.slice(0, length));

/** The worker's side of webhook_deliveries: fan-out, leases, attempts, replays. */
export class DeliveryStore {
  constructor(private readonly db: Knex) {}

  /**
   * Writes one delivery row per subscription that gets the event (idempotent: a second plan adds nothing) and
   * returns the subscriptions whose delivery is still to be made. A subscription gets the events recorded after
   * it was created; a test event goes to its one subscription, whatever that one listens for.
   */
  async plan(eventId: string, db: Db = this.db): Promise<number[]> {
    await db.raw(
      `INSERT INTO webhook_deliveries (subscription_id, event_id)
       SELECT s.id, e.id FROM events e
       JOIN webhook_subscriptions s ON s.is_active AND s.created_at <= e.created_at AND CASE
         WHEN e.only_subscription_id IS NOT NULL THEN s.id = e.only_subscription_id
         ELSE e.type <> 'webhook.test' AND (s.events @> ARRAY[e.type]::text[] OR s.events @> ARRAY['*']::text[])
       END
       WHERE e.id = ?
       ON CONFLICT (subscription_id, event_id) DO NOTHING`,
      [eventId],
    );
    const ids = await db('webhook_deliveries').where('event_id', eventId).whereIn('status', OPEN).orderBy('subscription_id').pluck('subscription_id');
    return ids.map(Number);
  }

  /**
   * Takes the delivery for one attempt: only if it is still open and no other worker holds it (one statement,
   * so two workers racing for it cannot both win). @returns the row, or undefined when not taken
   */
  async takeLease(eventId: string, subscriptionId: number, now: Date, until: Date): Promise<DeliveryRow | undefined> {
    const [row] = (await this.db('webhook_deliveries')
      .where({ event_id: eventId, subscription_id: subscriptionId })
      .whereIn('status', OPEN)
      .where((lease) => lease.whereNull('locked_until').orWhere('locked_until', '<', now))
      .update({ locked_until: until })
      .returning('*')) as DeliveryRow[];
    return row;
  }

  state(eventId: string, subscriptionId: number): Promise<Pick<DeliveryRow, 'status' | 'locked_until'> | undefined> {
    return this.db<DeliveryRow>('webhook_deliveries').where({ event_id: eventId, subscription_id: subscriptionId }).first('status', 'locked_until');
  }

  subscription(id: number): Promise<SubscriptionRow | undefined> {
    return this.db<SubscriptionRow>('webhook_subscriptions').where({ id }).first();
  }

  /** The payload as stored (json keeps the text as written): the body is signed and sent byte for byte. */
  async payloadText(eventId: string): Promise<string | undefined> {
    const { rows } = await this.db.raw<{ rows: { body: string }[] }>('SELECT payload::text AS body FROM events WHERE id = ?', [eventId]);
    return rows[0]?.body;
  }

  /** Attempts made since the retry window began (a replay starts a new window, and the delays start over). */
  async attemptsSince(deliveryId: number, since: Date): Promise<number> {
    const [row] = await this.db('webhook_attempts').where('delivery_id', deliveryId).where('started_at', '>=', since).count<{ count: number }[]>('* as count');
    return Number(row?.count ?? 0);
  }

  /** Closes a delivery that will not be attempted (subscription disabled, event gone). */
  async close(deliveryId: number, status: DeliveryStatus, now: Date, reason: string): Promise<void> {
    await this.db('webhook_deliveries')
      .where('id', deliveryId)
      .update({ status, last_error: truncate(reason, 500), completed_at: now, next_attempt_at: null, locked_until: null, updated_at: now });
  }

  /** Whether the delivery still exists (its subscription may have been deleted during the attempt), locked until commit. */
  async lockDelivery(trx: Knex.Transaction, deliveryId: number): Promise<boolean> {
    return Boolean(await trx('webhook_deliveries').where('id', deliveryId).forUpdate().first('id'));
  }

  async recordAttempt(trx: Knex.Transaction, delivery: DeliveryRow, record: AttemptRecord): Promise<void> {
    await trx('webhook_attempts').insert({
      delivery_id: delivery.id,
      attempt: record.attempt,
      started_at: record.startedAt,
      status_code: record.statusCode,
      error: truncate(record.error, 500),
      latency_ms: record.latencyMs,
      response_excerpt: truncate(record.excerpt, 1024),
      outcome: record.outcome,
    });
    const done = record.status !== 'pending' && record.status !== 'retrying';
    await trx('webhook_deliveries')
      .where('id', delivery.id)
      .update({
        status: record.status,
        attempts: record.attempt,
        last_status_code: record.statusCode,
        last_error: truncate(record.error, 500),
        last_latency_ms: record.latencyMs,
        first_attempt_at: delivery.first_attempt_at ?? record.startedAt,
        next_attempt_at: record.nextAttemptAt,
        completed_at: done ? record.finishedAt : null,
        locked_until: null,
        updated_at: record.finishedAt,
      });
  }

  async resetFailures(trx: Knex.Transaction, subscriptionId: number): Promise<void> {
    await trx('webhook_subscriptions').where('id', subscriptionId).where('consecutive_failures', '>', 0).update({ consecutive_failures: 0 });
  }

  /** @returns the subscription's failures in a row, this one included */
  async countFailure(trx: Knex.Transaction, subscriptionId: number): Promise<number> {
    const [row] = await trx('webhook_subscriptions').where('id', subscriptionId).increment('consecutive_failures', 1).returning<{ consecutive_failures: number }[]>('consecutive_failures');
    return row?.consecutive_failures ?? 0;
  }

  /** Disables an active subscription. @returns it after the change, or undefined when it was no longer active */
  async disable(trx: Knex.Transaction, subscriptionId: number, now: Date, reason: string): Promise<SubscriptionRow | undefined> {
    const [row] = (await trx('webhook_subscriptions')
      .where({ id: subscriptionId, is_active: true })
      .update({ is_active: false, disabled_at: now, disabled_reason: truncate(reason, 200), updated_at: now })
      .returning('*')) as SubscriptionRow[];
    return row;
  }

  /**
   * Takes the replays staff asked for: each is cleared and reopened with a fresh retry window, in one
   * statement (SKIP LOCKED: two workers never take the same). A delivery being attempted right now waits for
   * the next poll, or its job would be skipped for the lease.
   */
  async claimReplays(limit: number, now: Date): Promise<{ event_id: string; subscription_id: number; requested_at: string }[]> {
    const { rows } = await this.db.raw<{ rows: { event_id: string; subscription_id: number; requested_at: string }[] }>(
      `UPDATE webhook_deliveries d
       SET replay_requested_at = NULL, status = 'pending', first_attempt_at = NULL, next_attempt_at = NULL, completed_at = NULL, updated_at = ?
       FROM (
         SELECT id, replay_requested_at FROM webhook_deliveries
         WHERE replay_requested_at IS NOT NULL AND (locked_until IS NULL OR locked_until < ?)
         ORDER BY replay_requested_at LIMIT ? FOR UPDATE SKIP LOCKED
       ) claimed
       WHERE d.id = claimed.id
       RETURNING d.event_id, d.subscription_id, claimed.replay_requested_at AS requested_at`,
      [now, now, limit],
    );
    return rows;
  }
}
