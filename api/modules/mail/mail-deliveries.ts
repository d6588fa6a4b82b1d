import type { Knex } from 'knex';

/** pending: the first attempt is under way; retrying: an attempt failed and another will come; then sent or failed. */
export type MailDeliveryStatus = 'pending' | 'retrying' | 'sent' | 'failed';

export interface MailDeliveryRow {
  id: string;
  event_id: string;
  template: string;
  recipient: string;
  status: MailDeliveryStatus;
  attempts: number;
  last_error: string | null;
  message_id: string | null;
  /** Timestamps are ISO 8601 strings (the connection's timestamptz parser). */
  sent_at: string | null;
  locked_until: string | null;
  /** Written by the first attempt: the start of the retry window. */
  created_at: string;
}

export type Claim =
  /** This attempt owns the delivery until it records the outcome; `attempts` counts it already. */
  | { kind: 'claimed'; delivery: MailDeliveryRow }
  | { kind: 'sent'; delivery: MailDeliveryRow }
  /** Another attempt holds the lease (until `lockedUntil`). */
  | { kind: 'busy'; lockedUntil: Date };

const ERROR_LENGTH = 500;

/**
 * The log of order mail: one row per (event, template) with its attempts and outcome. No transaction is held
 * open across the SMTP exchange: an attempt takes a lease on the row, sends, then records what happened.
 */
export class MailDeliveries {
  constructor(private readonly db: Knex) {}

  /** Takes the lease on (event, template) for `leaseSeconds`, creating the row on the first attempt. */
  async claim(key: { eventId: string; template: string; recipient: string }, leaseSeconds: number): Promise<Claim> {
    const where = { event_id: key.eventId, template: key.template };
    await this.db('mail_deliveries').insert({ ...where, recipient: key.recipient }).onConflict(['event_id', 'template']).ignore();
    const [claimed] = await this.db('mail_deliveries')
      .where(where)
      .whereNot('status', 'sent')
      .where((free) => free.whereNull('locked_until').orWhere('locked_until', '<', this.db.raw('clock_timestamp()')))
      .update({ locked_until: this.db.raw('clock_timestamp() + make_interval(secs => ?)', [leaseSeconds]), attempts: this.db.raw('attempts + 1') })
      .returning<MailDeliveryRow[]>('*');
    if (claimed) return { kind: 'claimed', delivery: claimed };
    const current = await this.db('mail_deliveries').where(where).first<MailDeliveryRow | undefined>();
    if (current?.status === 'sent') return { kind: 'sent', delivery: current };
    return { kind: 'busy', lockedUntil: current?.locked_until ? new Date(current.locked_until) : new Date() };
  }

  async markSent(id: string, messageId: string): Promise<void> {
    await this.db('mail_deliveries')
      .where({ id })
      .update({ status: 'sent', message_id: messageId, last_error: null, locked_until: null, sent_at: this.db.raw('clock_timestamp()') });
  }

  async markFailed(id: string, failure: { error: string; final: boolean }): Promise<void> {
    await this.db('mail_deliveries')
      .where({ id })
      .update({ status: failure.final ? 'failed' : 'retrying', last_error: failure.error.slice(0, ERROR_LENGTH), locked_until: null });
  }
}
