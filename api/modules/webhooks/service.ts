import type { Knex } from 'knex';
import { ConflictError, noMatch, ValidationError } from '../../errors';
import { parseInput } from '../../http/validate';
import type { Actor, AuditLog } from '../audit';
import { recordEvent } from '../events';
import { ALL_EVENTS, type DeliveryStatus, type SubscriptionRow } from './model';
import type { WebhookRepository } from './repository';
import { subscriptionBody, subscriptionPatchBody, type SubscriptionInput, type SubscriptionPatch } from './schemas';
import { generateSecret, type SecretBox } from './secrets';
import { attemptView, deliveryView, subscriptionView, type DeliveryDetail, type DeliveryView, type SubscriptionView, type SubscriptionWithSecret } from './serializers';
import { UnsafeUrlError, type UrlGuard } from './url-safety';

export interface WebhookServiceDeps {
  db: Knex;
  repository: WebhookRepository;
  audit: AuditLog;
  box: SecretBox;
  guard: UrlGuard;
}

const RESOURCE = 'webhook_subscription';

/** One list of event types: duplicates dropped, and `*` alone when it is there (it means all). */
function normaliseEvents(events: readonly string[]): string[] {
  return events.includes(ALL_EVENTS) ? [ALL_EVENTS] : [...new Set(events)];
}

/**
 * Webhook subscriptions for every staff door (staff API, CLI, console): the rules live here once. Inputs are
 * validated with the API's own schemas and URL rules (SSRF), every change is audited in its transaction, and
 * the signing secret is returned only by the calls that make one (creation, rotation), never logged or audited.
 */
export class WebhookSubscriptions {
  constructor(private readonly deps: WebhookServiceDeps) {}

  count(): Promise<number> {
    return this.deps.repository.countSubscriptions();
  }

  async list(limit: number, offset: number): Promise<SubscriptionView[]> {
    return (await this.deps.repository.subscriptions(limit, offset)).map(subscriptionView);
  }

  /** @throws {NotFoundError} */
  async find(id: number): Promise<SubscriptionView> {
    return subscriptionView(await this.row(id));
  }

  async create(actor: Actor, input: SubscriptionInput): Promise<SubscriptionWithSecret> {
    const body = parseInput(subscriptionBody, input);
    const url = await this.checkUrl(body.url);
    const secret = generateSecret();
    const row = await this.deps.db.transaction(async (trx) => {
      const created = await this.deps.repository.insertSubscription(trx, {
        url,
        events: normaliseEvents(body.events),
        description: body.description ?? '',
        secret_ciphertext: this.deps.box.seal(secret),
      });
      await this.deps.audit.record(trx, actor, { action: 'webhook.created', resourceType: RESOURCE, resourceId: created.id, after: subscriptionView(created) });
      return created;
    });
    return { ...subscriptionView(row), secret };
  }

  /** Re-activating a disabled subscription starts its failure count again; deactivating stops its deliveries. */
  async update(actor: Actor, id: number, patch: SubscriptionPatch): Promise<SubscriptionView> {
    await this.row(id);
    const body = parseInput(subscriptionPatchBody, patch);
    const url = body.url === undefined ? undefined : await this.checkUrl(body.url);
    return this.deps.db.transaction(async (trx) => {
      const before = await this.lockedRow(trx, id);
      const changes: Partial<SubscriptionRow> = {};
      if (url !== undefined && url !== before.url) changes.url = url;
      if (body.events !== undefined) changes.events = normaliseEvents(body.events);
      if (body.description !== undefined) changes.description = body.description;
      if (body.is_active === true && !before.is_active) Object.assign(changes, { is_active: true, consecutive_failures: 0, disabled_at: null, disabled_reason: null });
      if (body.is_active === false && before.is_active) Object.assign(changes, { is_active: false, disabled_at: new Date().toISOString(), disabled_reason: `Disabled by ${actor.label}.`.slice(0, 200) });
      const unchanged = Object.entries(changes).every(([field, value]) => JSON.stringify(before[field as keyof SubscriptionRow]) === JSON.stringify(value));
      if (unchanged) return subscriptionView(before);
      const after = await this.deps.repository.updateSubscription(trx, id, changes);
      await this.deps.audit.record(trx, actor, { action: 'webhook.updated', resourceType: RESOURCE, resourceId: id, before: subscriptionView(before), after: subscriptionView(after) });
      return subscriptionView(after);
    });
  }

  /** Deletes the subscription with its delivery log; deliveries still queued are skipped by the worker. */
  async remove(actor: Actor, id: number): Promise<SubscriptionView> {
    return this.deps.db.transaction(async (trx) => {
      const before = await this.lockedRow(trx, id);
      await this.deps.repository.deleteSubscription(trx, id);
      await this.deps.audit.record(trx, actor, { action: 'webhook.deleted', resourceType: RESOURCE, resourceId: id, before: subscriptionView(before) });
      return subscriptionView(before);
    });
  }

  /** A new signing secret, effective for the next attempt; the old one stops working at once. */
  async rotateSecret(actor: Actor, id: number): Promise<SubscriptionWithSecret> {
    const secret = generateSecret();
    const row = await this.deps.db.transaction(async (trx) => {
      await this.lockedRow(trx, id);
      const after = await this.deps.repository.updateSubscription(trx, id, { secret_ciphertext: this.deps.box.seal(secret) });
      await this.deps.audit.record(trx, actor, { action: 'webhook.secret_rotated', resourceType: RESOURCE, resourceId: id });
      return after;
    });
    return { ...subscriptionView(row), secret };
  }

  /** Records a `webhook.test` event for this subscription only; the worker delivers it like any other. */
  async sendTest(actor: Actor, id: number): Promise<{ event_id: string }> {
    return this.deps.db.transaction(async (trx) => {
      const row = await this.lockedRow(trx, id);
      if (!row.is_active) throw inactive('a test event');
      const eventId = await recordEvent(trx, { type: 'webhook.test', resource: { type: RESOURCE, id }, object: subscriptionView(row), onlySubscriptionId: id });
      await this.deps.audit.record(trx, actor, { action: 'webhook.test_sent', resourceType: RESOURCE, resourceId: id, after: { event_id: eventId } });
      return { event_id: eventId };
    });
  }

  countDeliveries(id: number, status?: DeliveryStatus): Promise<number> {
    return this.deps.repository.countDeliveries(id, status);
  }

  /**
   * A page of the delivery log, newest first. The subscription is looked up here rather than before the count,
   * so that a page past the end is "Invalid page." whatever the id, as on every other list.
   * @throws {NotFoundError}
   */
  async deliveries(id: number, status: DeliveryStatus | undefined, limit: number, offset: number): Promise<DeliveryView[]> {
    await this.row(id);
    return (await this.deps.repository.deliveries(id, status, limit, offset)).map(deliveryView);
  }

  /** One delivery with the event sent and every attempt. @throws {NotFoundError} */
  async delivery(id: number, deliveryId: number): Promise<DeliveryDetail> {
    await this.row(id);
    const row = await this.deps.repository.findDelivery(id, deliveryId);
    if (!row) throw noMatch('WebhookDelivery');
    const [event, attempts] = await Promise.all([this.deps.repository.eventPayload(row.event_id), this.deps.repository.attempts(row.id)]);
    return { ...deliveryView(row), event, attempt_log: attempts.map(attemptView) };
  }

  /** The delivery of one event (undefined until the worker has planned it). */
  async deliveryOfEvent(id: number, eventId: string): Promise<DeliveryView | undefined> {
    const row = await this.deps.repository.deliveryOfEvent(id, eventId);
    return row ? deliveryView(row) : undefined;
  }

  /** Sends the same event again (same id, so receivers can deduplicate), with a fresh retry window. */
  async replay(actor: Actor, id: number, deliveryId: number): Promise<DeliveryView> {
    await this.deps.db.transaction(async (trx) => {
      const subscription = await this.lockedRow(trx, id);
      if (!(await this.deps.repository.findDelivery(id, deliveryId))) throw noMatch('WebhookDelivery');
      if (!subscription.is_active) throw inactive('a replay');
      await this.deps.repository.requestReplay(trx, deliveryId);
      await this.deps.audit.record(trx, actor, { action: 'webhook.delivery_replayed', resourceType: RESOURCE, resourceId: id, after: { delivery_id: deliveryId } });
    });
    return deliveryView((await this.deps.repository.findDelivery(id, deliveryId))!);
  }

  private async row(id: number): Promise<SubscriptionRow> {
    const row = await this.deps.repository.findSubscription(id);
    if (!row) throw noMatch('WebhookSubscription');
    return row;
  }

  private async lockedRow(trx: Knex.Transaction, id: number): Promise<SubscriptionRow> {
    const row = await this.deps.repository.lockSubscription(trx, id);
    if (!row) throw noMatch('WebhookSubscription');
    return row;
  }

  /** The SSRF rules, as a 400 on `url`. */
  private async checkUrl(url: string): Promise<string> {
    try {
      return (await this.deps.guard.check(url)).href;
    } catch (error) {
      if (error instanceof UnsafeUrlError) throw ValidationError.field('url', error.message);
      throw error;
    }
  }
}

function inactive(what: string): ConflictError {
  return new ConflictError(`This subscription is disabled: re-activate it (is_active: true) before asking for ${what}.`, 'invalid_transition');
}
