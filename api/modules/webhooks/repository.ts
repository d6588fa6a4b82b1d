import type { Knex } from 'knex';
import type { AttemptRow, DeliveryLogRow, DeliveryRow, DeliveryStatus, SubscriptionRow } from './model';

type Db = Knex | Knex.Transaction;

/** A delivery with its event's type and its last attempt's excerpt: one query, whatever the page size. */
function deliveryLog(db: Db) {
  return db('webhook_deliveries as d')
    .join('events as e', 'e.id', 'd.event_id')
    .joinRaw('LEFT JOIN LATERAL (SELECT a.response_excerpt FROM webhook_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) last ON true')
    .select('d.*', 'e.type as event_type', 'last.response_excerpt');
}

/** Queries on subscriptions and their delivery log, for the staff doors (API, CLI, console). */
export class WebhookRepository {
  constructor(private readonly db: Knex) {}

  async countSubscriptions(): Promise<number> {
    const [row] = await this.db('webhook_subscriptions').count<{ count: number }[]>('* as count');
    return Number(row?.count ?? 0);
  }

  /** Newest first. */
  subscriptions(limit: number, offset: number): Promise<SubscriptionRow[]> {
    return this.db<SubscriptionRow>('webhook_subscriptions').orderBy('id', 'desc').limit(limit).offset(offset).select('*');
  }

  findSubscription(id: number, db: Db = this.db): Promise<SubscriptionRow | undefined> {
    return db<SubscriptionRow>('webhook_subscriptions').where({ id }).first();
  }

  lockSubscription(trx: Knex.Transaction, id: number): Promise<SubscriptionRow | undefined> {
    return trx<SubscriptionRow>('webhook_subscriptions').where({ id }).forUpdate().first();
  }

  async insertSubscription(trx: Knex.Transaction, values: Pick<SubscriptionRow, 'url' | 'events' | 'description' | 'secret_ciphertext'>): Promise<SubscriptionRow> {
    const [row] = await trx<SubscriptionRow>('webhook_subscriptions').insert(values).returning('*');
    return row as SubscriptionRow;
  }

  async updateSubscription(trx: Knex.Transaction, id: number, patch: Partial<SubscriptionRow>): Promise<SubscriptionRow> {
    const [row] = (await trx('webhook_subscriptions')
      .where({ id })
      .update({ ...patch, updated_at: trx.fn.now() })
      .returning('*')) as SubscriptionRow[];
    return row as SubscriptionRow;
  }

  async deleteSubscription(trx: Knex.Transaction, id: number): Promise<void> {
    await trx('webhook_subscriptions').where({ id }).delete();
  }

  async countDeliveries(subscriptionId: number, status?: DeliveryStatus): Promise<number> {
    const [row] = await this.db('webhook_deliveries')
      .where('subscription_id', subscriptionId)
      .modify((query) => {
        if (status) query.where('status', status);
      })
      .count<{ count: number }[]>('* as count');
    return Number(row?.count ?? 0);
  }

  /** The delivery log of one subscription, newest first. */
  deliveries(subscriptionId: number, status: DeliveryStatus | undefined, limit: number, offset: number): Promise<DeliveryLogRow[]> {
    return deliveryLog(this.db)
      .where('d.subscription_id', subscriptionId)
      .modify((query) => {
        if (status) query.where('d.status', status);
      })
      .orderBy('d.id', 'desc')
      .limit(limit)
      .offset(offset) as Promise<DeliveryLogRow[]>;
  }

  findDelivery(subscriptionId: number, deliveryId: number): Promise<DeliveryLogRow | undefined> {
    return deliveryLog(this.db).where({ 'd.subscription_id': subscriptionId, 'd.id': deliveryId }).first() as Promise<DeliveryLogRow | undefined>;
  }

  deliveryOfEvent(subscriptionId: number, eventId: string): Promise<DeliveryLogRow | undefined> {
    return deliveryLog(this.db).where({ 'd.subscription_id': subscriptionId, 'd.event_id': eventId }).first() as Promise<DeliveryLogRow | undefined>;
  }

  attempts(deliveryId: number): Promise<AttemptRow[]> {
    return this.db<AttemptRow>('webhook_attempts').where('delivery_id', deliveryId).orderBy('id').select('*');
  }

  async eventPayload(eventId: string): Promise<unknown> {
    const row = await this.db('events').where('id', eventId).first<{ payload: unknown } | undefined>('payload');
    return row?.payload ?? null;
  }

  /** Asks the worker to deliver again: it claims the request on its next poll (see WebhookDelivery.claimReplays). */
  async requestReplay(trx: Knex.Transaction, deliveryId: number): Promise<DeliveryRow> {
    const [row] = (await trx('webhook_deliveries')
      .where('id', deliveryId)
      .update({ replay_requested_at: trx.fn.now(), status: 'pending', updated_at: trx.fn.now() })
      .returning('*')) as DeliveryRow[];
    return row as DeliveryRow;
  }
}
