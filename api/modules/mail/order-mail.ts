import type { Knex } from 'knex';
import type { Logger } from '../../infra/logger';
import { MailDeliveryError, type Mailer } from '../../infra/mailer';
import { afterFailure, type AttemptResult, type EventEnvelope, type RetryPolicy } from '../events';
import type { MailDeliveries } from './mail-deliveries';
import { mailMessageId, orderMailHeaders } from './message-headers';
import { orderMailView, templateFor, type MailedOrder, type ViewSettings } from './order-mail-view';
import type { RenderMail } from './templates';

export interface OrderMailDeps {
  db: Knex;
  deliveries: MailDeliveries;
  mailer: Mailer;
  render: RenderMail;
  logger: Logger;
  /** MAIL_FROM: the Message-ID's domain is its domain. */
  from: string;
  view: ViewSettings;
  retry: RetryPolicy;
  /** How long one attempt owns its delivery; longer than the slowest SMTP exchange (its timeouts add up to 2 min). */
  leaseSeconds: number;
  now: () => Date;
}

/** A lease held by another attempt is waited out, then looked at again (sent by then, or ours to send). */
const BUSY_MARGIN_MS = 1000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The customer's mail about an order event (placed, paid, shipped, cancelled, expired), sent by the worker from
 * the outbox once the order's transaction has committed. Each (event, template) is sent once: a second call
 * after success is skipped. A failure is recorded and retried within DELIVERY_RETRY_WINDOW, unless the server
 * refused the message for good (5xx).
 */
export class OrderMail {
  constructor(private readonly deps: OrderMailDeps) {}

  async send(job: { eventId: string }): Promise<AttemptResult> {
    const event = await this.deps.db('events').where({ id: job.eventId }).first<{ type: string; payload: EventEnvelope } | undefined>('type', 'payload');
    if (!event) return { outcome: 'skipped', reason: `event ${job.eventId} no longer exists` };
    const template = templateFor(event.type);
    if (!template) return { outcome: 'skipped', reason: `no mail is sent for ${event.type}` };
    const order = event.payload.data.object as MailedOrder;
    const recipient = typeof order.user_email === 'string' ? order.user_email.trim() : '';
    if (!recipient) return { outcome: 'skipped', reason: `order ${order.id} has no customer email` };

    const claim = await this.deps.deliveries.claim({ eventId: job.eventId, template, recipient }, this.deps.leaseSeconds);
    if (claim.kind === 'sent') return { outcome: 'skipped', reason: `already sent (${claim.delivery.message_id ?? 'no message id'})` };
    if (claim.kind === 'busy') {
      const delayMs = Math.max(0, claim.lockedUntil.getTime() - this.deps.now().getTime()) + BUSY_MARGIN_MS;
      return { outcome: 'retry', reason: 'another attempt at this mail is under way', delayMs };
    }

    const { delivery } = claim;
    const messageId = mailMessageId(job.eventId, template, this.deps.from);
    try {
      const rendered = this.deps.render(template, orderMailView(event.payload, this.deps.view));
      await this.deps.mailer.send({
        to: recipient,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        replyTo: this.deps.view.shop.supportEmail,
        headers: orderMailHeaders(job.eventId, messageId),
      });
    } catch (error) {
      const reason = describe(error);
      const result: AttemptResult =
        error instanceof MailDeliveryError && error.permanent
          ? { outcome: 'failed', reason: `${reason} (refused for good: not retried)` }
          : afterFailure(this.deps.retry, { attempt: delivery.attempts, firstAttemptAt: new Date(delivery.created_at), now: this.deps.now(), reason });
      await this.deps.deliveries.markFailed(delivery.id, { error: reason, final: result.outcome !== 'retry' });
      this.deps.logger.warn({ eventId: job.eventId, template, orderId: order.id, attempt: delivery.attempts, outcome: result.outcome, reason }, 'order mail not sent');
      return result;
    }
    await this.deps.deliveries.markSent(delivery.id, messageId);
    this.deps.logger.info({ eventId: job.eventId, template, orderId: order.id, attempt: delivery.attempts, messageId }, 'order mail sent');
    return { outcome: 'succeeded' };
  }
}
