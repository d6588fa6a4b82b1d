import type { Knex } from 'knex';
import type { Config } from '../../config';
import type { Logger } from '../../infra/logger';
import { afterFailure, recordEvent, type AttemptResult, type EventRow, type RetryPolicy } from '../events';
import { DeliveryStore } from './delivery-store';
import { postWebhook, type PostOutcome } from './http-post';
import type { DeliveryRow, SubscriptionRow } from './model';
import { SecretKeyMismatchError, type SecretBox } from './secrets';
import { subscriptionView } from './serializers';
import { signPayload, SIGNATURE_HEADER } from './signature';
import { UnsafeUrlError, type UrlGuard } from './url-safety';
import { judgeAnswer, type Verdict } from './verdict';

export interface DeliveryDeps {
  db: Knex;
  config: Pick<Config, 'webhooks' | 'delivery' | 'version'>;
  box: SecretBox;
  guard: UrlGuard;
  logger: Logger;
  /** Clock in milliseconds: signatures, the retry window, leases. */
  now: () => number;
  /** Jitter source for retry delays (tests pin it). */
  random?: () => number;
}

/** How long past the timeout a lease outlives a worker that died mid-attempt. */
const LEASE_MARGIN_MS = 10_000;

export interface DeliveryJob {
  eventId: string;
  subscriptionId: number;
}

/**
 * Sends events to subscriptions, for the worker: `plan` fans an event out into delivery rows, `attempt` makes
 * one signed POST and records it (retrying per DELIVERY_RETRY_*, disabling a subscription after
 * WEBHOOK_DISABLE_AFTER failures in a row), `claimReplays` hands over the replays staff asked for.
 */
export class WebhookDelivery {
  private readonly store: DeliveryStore;
  private readonly policy: RetryPolicy;

  constructor(private readonly deps: DeliveryDeps) {
    this.store = new DeliveryStore(deps.db);
    const { retryWindowSeconds, retryBaseSeconds, retryMaxSeconds } = deps.config.delivery;
    this.policy = { windowSeconds: retryWindowSeconds, baseSeconds: retryBaseSeconds, maxSeconds: retryMaxSeconds };
  }

  /**
   * Writes the event's delivery rows; returns the subscriptions to queue a job for.
   * @param trx the caller's transaction, when it holds a lock on the event row (the delivery rows reference it)
   */
  plan(event: Pick<EventRow, 'id'>, trx?: Knex.Transaction): Promise<number[]> {
    return this.store.plan(event.id, trx);
  }

  async claimReplays(limit: number): Promise<{ eventId: string; subscriptionId: number; requestedAt: string }[]> {
    const claimed = await this.store.claimReplays(limit, new Date(this.deps.now()));
    return claimed.map((row) => ({ eventId: row.event_id, subscriptionId: row.subscription_id, requestedAt: row.requested_at }));
  }

  /** One attempt of one delivery. Safe to call twice for the same job: a duplicate is skipped. */
  async attempt(job: DeliveryJob): Promise<AttemptResult> {
    const startedAt = new Date(this.deps.now());
    const delivery = await this.store.takeLease(job.eventId, job.subscriptionId, startedAt, new Date(startedAt.getTime() + this.deps.config.webhooks.timeoutMs + LEASE_MARGIN_MS));
    if (!delivery) return this.notTaken(job);

    const subscription = await this.store.subscription(job.subscriptionId);
    if (!subscription?.is_active) {
      await this.store.close(delivery.id, 'cancelled', startedAt, 'The subscription is disabled.');
      return { outcome: 'skipped', reason: 'the subscription is disabled' };
    }
    const body = await this.store.payloadText(job.eventId);
    if (body === undefined) {
      await this.store.close(delivery.id, 'cancelled', startedAt, 'The event no longer exists.');
      return { outcome: 'skipped', reason: 'the event no longer exists' };
    }

    const attempt = delivery.attempts + 1;
    const sent = await this.send(subscription, job, body, attempt, startedAt);
    return this.record(delivery, subscription, attempt, startedAt, sent);
  }

  private async notTaken(job: DeliveryJob): Promise<AttemptResult> {
    const state = await this.store.state(job.eventId, job.subscriptionId);
    if (!state) return { outcome: 'skipped', reason: 'no such delivery (its subscription or event was deleted)' };
    if (state.status === 'pending' || state.status === 'retrying') {
      // Held by another attempt, which may belong to a worker that died: look again when its lease ends, so the
      // delivery is never dropped (a live holder will have finished it by then, and that look is skipped).
      const leaseEndsIn = state.locked_until ? new Date(state.locked_until).getTime() - this.deps.now() : 0;
      return { outcome: 'retry', reason: 'another attempt holds this delivery', delayMs: Math.max(1000, leaseEndsIn + 1000) };
    }
    return { outcome: 'skipped', reason: `the delivery is already ${state.status}` };
  }

  /** Signs and POSTs; a problem on our side (the secret cannot be read) is an outcome too, not the receiver's fault. */
  private async send(subscription: SubscriptionRow, job: DeliveryJob, body: string, attempt: number, startedAt: Date): Promise<{ outcome: PostOutcome; ours: boolean }> {
    let secret: string;
    let url: URL;
    try {
      secret = this.deps.box.open(subscription.secret_ciphertext);
      url = this.deps.guard.parse(subscription.url);
    } catch (error) {
      if (error instanceof SecretKeyMismatchError || error instanceof UnsafeUrlError) {
        return { outcome: { kind: 'no_answer', error: error.message, latencyMs: 0 }, ours: error instanceof SecretKeyMismatchError };
      }
      throw error;
    }
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': `nexus-webhooks/${this.deps.config.version}`,
      'X-Nexus-Event-Id': job.eventId,
      'X-Nexus-Event-Type': (JSON.parse(body) as { type: string }).type,
      'X-Nexus-Delivery-Attempt': String(attempt),
      [SIGNATURE_HEADER]: signPayload(secret, body, Math.floor(startedAt.getTime() / 1000)),
    };
    return { outcome: await postWebhook(url, body, { headers, timeoutMs: this.deps.config.webhooks.timeoutMs, guard: this.deps.guard }), ours: false };
  }

  private async record(delivery: DeliveryRow, subscription: SubscriptionRow, attempt: number, startedAt: Date, sent: { outcome: PostOutcome; ours: boolean }): Promise<AttemptResult> {
    const finishedAt = new Date(this.deps.now());
    const verdict = judgeAnswer(sent.outcome);
    const result = await this.resultOf(delivery, attempt, startedAt, finishedAt, verdict);
    const answered = sent.outcome.kind === 'answered' ? sent.outcome : undefined;

    return this.deps.db.transaction(async (trx) => {
      if (!(await this.store.lockDelivery(trx, delivery.id))) return { outcome: 'skipped', reason: 'the subscription was deleted during the attempt' } as const;
      let final = result;
      let status = result.outcome === 'succeeded' ? 'succeeded' : result.outcome === 'retry' ? 'retrying' : 'failed';
      if (verdict.kind === 'succeeded') await this.store.resetFailures(trx, subscription.id);
      else if (!sent.ours) {
        const disabled = await this.disableIfDue(trx, subscription, await this.store.countFailure(trx, subscription.id), finishedAt);
        // No retries for a disabled subscription: re-activating it and replaying sends the event again.
        if (disabled && result.outcome === 'retry') {
          final = { outcome: 'failed', reason: `${result.reason}; ${disabled}` };
          status = 'cancelled';
        }
      }
      await this.store.recordAttempt(trx, delivery, {
        attempt,
        startedAt,
        finishedAt,
        statusCode: answered?.statusCode ?? null,
        error: verdict.kind === 'succeeded' ? null : verdict.reason,
        latencyMs: sent.outcome.latencyMs,
        excerpt: answered?.excerpt ?? null,
        outcome: final.outcome === 'retry' ? 'retry' : final.outcome === 'succeeded' ? 'succeeded' : 'failed',
        status: status as 'succeeded' | 'retrying' | 'failed' | 'cancelled',
        nextAttemptAt: final.outcome === 'retry' ? new Date(finishedAt.getTime() + final.delayMs) : null,
      });
      return final;
    });
  }

  /** Retry with the next delay while the window since the first attempt lasts; a rejection is final at once. */
  private async resultOf(delivery: DeliveryRow, attempt: number, startedAt: Date, finishedAt: Date, verdict: Verdict): Promise<AttemptResult> {
    if (verdict.kind === 'succeeded') return { outcome: 'succeeded' };
    if (verdict.kind === 'rejected') return { outcome: 'failed', reason: verdict.reason };
    const firstAttemptAt = delivery.first_attempt_at ? new Date(delivery.first_attempt_at) : startedAt;
    const inWindow = delivery.first_attempt_at ? (await this.store.attemptsSince(delivery.id, firstAttemptAt)) + 1 : 1;
    return afterFailure(this.policy, { attempt: inWindow, firstAttemptAt, now: finishedAt, reason: verdict.reason }, this.deps.random);
  }

  /** @returns why the subscription was disabled just now, or undefined */
  private async disableIfDue(trx: Knex.Transaction, subscription: SubscriptionRow, failures: number, now: Date): Promise<string | undefined> {
    if (failures < this.deps.config.webhooks.disableAfter) return undefined;
    const reason = `Disabled after ${failures} consecutive failed deliveries.`;
    const disabled = await this.store.disable(trx, subscription.id, now, reason);
    if (!disabled) return undefined;
    await recordEvent(trx, {
      type: 'webhook.disabled',
      resource: { type: 'webhook_subscription', id: subscription.id },
      object: subscriptionView(disabled),
      context: { reason },
    });
    this.deps.logger.warn({ subscriptionId: subscription.id, failures }, 'webhook subscription disabled after consecutive failures');
    return 'the subscription was disabled after too many failures';
  }
}
