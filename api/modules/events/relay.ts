import type { Knex } from 'knex';
import type { JobQueue } from '../../infra/job-queue';
import { MAILED_EVENTS, type EventRow } from './types';

/** What the relay needs of the webhooks module: who gets an event, and the replays staff asked for. */
export interface WebhookFanout {
  /** Writes the delivery rows of an event; returns the subscriptions to queue a delivery for. */
  plan(event: EventRow): Promise<number[]>;
  claimReplays(limit: number): Promise<{ eventId: string; subscriptionId: number; requestedAt: string | Date }[]>;
}

const BATCH = 100;

/** BullMQ job ids may not contain ':'. */
export const jobIds = {
  webhook: (eventId: string, subscriptionId: number) => `wh_${eventId}_${subscriptionId}`,
  replay: (eventId: string, subscriptionId: number, requestedAt: string | Date) => `wh_${eventId}_${subscriptionId}_replay_${new Date(requestedAt).getTime()}`,
  mail: (eventId: string) => `mail_${eventId}`,
};

/**
 * Moves committed events from the outbox into the delivery queue, oldest first. The events are locked (SKIP
 * LOCKED; FOR NO KEY UPDATE, so the delivery rows written meanwhile on other connections can still reference
 * them) while their jobs are queued and marked relayed in the same transaction, so several workers share
 * the outbox without taking the same event; a worker that dies before the mark leaves the events to be
 * relayed again, and the deterministic job ids make that second queueing a no-op.
 */
export class OutboxRelay {
  constructor(private readonly deps: { db: Knex; queue: JobQueue; webhooks: WebhookFanout }) {}

  /** @returns how many events this call relayed */
  async relayBatch(): Promise<number> {
    return this.deps.db.transaction(async (trx) => {
      const events = await trx<EventRow>('events').whereNull('relayed_at').orderBy('sequence').limit(BATCH).forNoKeyUpdate().skipLocked().select('*');
      for (const event of events) await this.queueEvent(event);
      if (events.length > 0) {
        await trx('events')
          .whereIn(
            'id',
            events.map((event) => event.id),
          )
          .update({ relayed_at: trx.fn.now() });
      }
      return events.length;
    });
  }

  private async queueEvent(event: EventRow): Promise<void> {
    for (const subscriptionId of await this.deps.webhooks.plan(event)) {
      await this.deps.queue.add('webhook', { eventId: event.id, subscriptionId }, jobIds.webhook(event.id, subscriptionId));
    }
    if (MAILED_EVENTS.includes(event.type)) await this.deps.queue.add('mail', { eventId: event.id }, jobIds.mail(event.id));
  }

  /** Queues the deliveries staff asked to replay (API, console, CLI). */
  async relayReplays(): Promise<number> {
    const replays = await this.deps.webhooks.claimReplays(BATCH);
    for (const replay of replays) {
      await this.deps.queue.add('webhook', { eventId: replay.eventId, subscriptionId: replay.subscriptionId }, jobIds.replay(replay.eventId, replay.subscriptionId, replay.requestedAt));
    }
    return replays.length;
  }

  /** Everything waiting: batches until the outbox is empty, then the replays. */
  async drain(): Promise<number> {
    let relayed = 0;
    for (let batch = await this.relayBatch(); batch > 0; batch = await this.relayBatch()) relayed += batch;
    return relayed + (await this.relayReplays());
  }

  /** Deletes events relayed more than `days` ago, with their delivery log. */
  async prune(days: number): Promise<number> {
    return this.deps.db('events').where('relayed_at', '<', this.deps.db.raw(`now() - make_interval(days => ?)`, [days])).delete();
  }
}
