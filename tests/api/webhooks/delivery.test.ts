import request from 'supertest';
import { verifySignature, type WebhooksModule } from '../../../api/modules/webhooks';
import { startTestApi, type TestApi } from '../../support/api';
import { registerStaff } from '../../support/catalog';
import { bearer, type RegisteredUser } from '../../support/users';
import { answer, hang, startReceiver, type TestReceiver } from './receiver';
import { manualClock, OPERATOR, recordTestEvent, webhooksModule } from './webhook-helpers';

interface DeliveryRow {
  id: number;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  first_attempt_at: string | null;
  next_attempt_at: string | null;
  completed_at: string | null;
}

describe('webhook delivery (plan + attempt, as the worker calls them, against real receivers)', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let receiver: TestReceiver;
  let webhooks: WebhooksModule;

  const delivery = (eventId: string, subscriptionId: number) => api.db('webhook_deliveries').where({ event_id: eventId, subscription_id: subscriptionId }).first() as Promise<DeliveryRow>;
  const subscription = (id: number) => api.db('webhook_subscriptions').where({ id }).first();
  /** A subscription to the receiver; returns its id and secret. */
  const subscribe = async (module: WebhooksModule = webhooks, url = receiver.url, events = ['order.paid']) => {
    const created = await module.subscriptions.create(OPERATOR, { url, events });
    return { id: created.id, secret: created.secret };
  };
  /** An event, planned: the delivery rows written, as the relay does. */
  const planned = async (module: WebhooksModule = webhooks) => {
    const eventId = await recordTestEvent(api);
    return { eventId, queued: await module.delivery.plan({ id: eventId }) };
  };

  beforeAll(async () => {
    api = await startTestApi({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1,localhost', WEBHOOK_TIMEOUT: '1', WEBHOOK_DISABLE_AFTER: '1000' });
    staff = await registerStaff(api);
    receiver = await startReceiver();
    webhooks = webhooksModule(api);
  });
  beforeEach(async () => {
    // Each test plans against its own subscriptions only.
    await api.db('webhook_subscriptions').delete();
    receiver.received.length = 0;
    receiver.respond(answer(200, 'ok'));
  });
  afterAll(async () => {
    await receiver.close();
    await api.close();
  });

  it('When the receiver answers 200, then it got the payload as stored, signed, with the documented headers, once, and the delivery is succeeded', async () => {
    const { id, secret } = await subscribe();
    const other = await subscribe(webhooks, receiver.url, ['product.created']);
    const everything = await subscribe(webhooks, receiver.url, ['*']);
    const { eventId, queued } = await planned();
    expect(queued).toEqual([id, everything.id]);
    expect(await api.db('webhook_deliveries').where({ subscription_id: other.id }).first()).toBeUndefined();
    // Planning again changes nothing (the relay may run twice over an event).
    expect(await webhooks.delivery.plan({ id: eventId })).toEqual([id, everything.id]);
    expect(await api.db('webhook_deliveries').where({ event_id: eventId })).toHaveLength(2);

    expect(await webhooks.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'succeeded' });
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    const { rows } = await api.db.raw<{ rows: { body: string }[] }>('SELECT payload::text AS body FROM events WHERE id = ?', [eventId]);
    expect(got?.body).toBe(rows[0]?.body);
    expect(JSON.parse(got?.body ?? '')).toMatchObject({ id: eventId, type: 'order.paid', api_version: 'v1', data: { object: { id: 7 }, previous_status: 'pending' } });
    expect(got?.method).toBe('POST');
    expect(got?.path).toBe('/hook');
    expect(got?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': `nexus-webhooks/${api.config.version}`,
      'x-nexus-event-id': eventId,
      'x-nexus-event-type': 'order.paid',
      'x-nexus-delivery-attempt': '1',
      'x-nexus-signature': expect.stringMatching(/^t=\d{10},v1=[0-9a-f]{64}$/),
    });
    expect(verifySignature({ secret, body: got?.body ?? '', header: got?.headers['x-nexus-signature'] as string })).toBe(true);
    expect(verifySignature({ secret: everything.secret, body: got?.body ?? '', header: got?.headers['x-nexus-signature'] as string })).toBe(false);

    expect(await delivery(eventId, id)).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200, last_error: null, next_attempt_at: null, completed_at: expect.any(String) });
    expect(await api.db('webhook_attempts').where({ attempt: 1 }).join('webhook_deliveries', 'webhook_deliveries.id', 'webhook_attempts.delivery_id').where({ event_id: eventId, subscription_id: id }).first()).toMatchObject({
      status_code: 200,
      outcome: 'succeeded',
      response_excerpt: 'ok',
    });
    // A duplicate job (the queue delivers at least once) sends nothing.
    expect(await webhooks.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'skipped', reason: 'the delivery is already succeeded' });
    expect(await webhooks.delivery.plan({ id: eventId })).toEqual([everything.id]);
    expect(receiver.received).toHaveLength(1);
  });

  it('When the receiver keeps answering 500, then each retry waits twice as long (30 s up to 1 h) and the delivery fails once the 24 h window is over', async () => {
    const clock = manualClock();
    const module = webhooksModule(api, { now: clock.now });
    const { id } = await subscribe(module);
    const { eventId } = await planned(module);
    receiver.respond(answer(500, 'down for maintenance'));

    const delays: number[] = [];
    for (;;) {
      const result = await module.delivery.attempt({ eventId, subscriptionId: id });
      if (result.outcome !== 'retry') {
        expect(result).toEqual({ outcome: 'failed', reason: expect.stringMatching(/^HTTP 500 \(gave up after \d+ attempts: the retry window of 86400 s is over\)$/) });
        break;
      }
      expect(result.reason).toBe('HTTP 500');
      const row = await delivery(eventId, id);
      expect(row).toMatchObject({ status: 'retrying', attempts: delays.length + 1, last_status_code: 500 });
      expect(new Date(row.next_attempt_at as string).getTime()).toBe(clock.now() + result.delayMs);
      delays.push(result.delayMs / 1000);
      clock.advance(result.delayMs);
    }
    expect(delays.slice(0, 9)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    expect(delays.every((delay) => delay === 3600 || delay < 3600)).toBe(true);
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBeLessThanOrEqual(86_400);
    expect(delays.reduce((sum, delay) => sum + delay, 0) + 3600).toBeGreaterThan(86_400);
    expect(receiver.received.map((got) => got.headers['x-nexus-delivery-attempt'])).toEqual(receiver.received.map((_got, index) => String(index + 1)));
    expect(new Set(receiver.received.map((got) => got.headers['x-nexus-event-id']))).toEqual(new Set([eventId]));
    expect(await delivery(eventId, id)).toMatchObject({ status: 'failed', attempts: delays.length + 1, next_attempt_at: null, completed_at: expect.any(String) });
    expect(await api.db('webhook_attempts').join('webhook_deliveries', 'webhook_deliveries.id', 'webhook_attempts.delivery_id').where({ event_id: eventId }).count('* as count').first()).toEqual({ count: delays.length + 1 });
  });

  it('When the receiver never answers, answers 408 or 429, or redirects, then the attempt is retried (the redirect is not followed)', async () => {
    const { id } = await subscribe();
    const elsewhere = await startReceiver();
    try {
      const cases: [Parameters<typeof receiver.respond>[0], RegExp][] = [
        [hang, /^Timed out after 1000 ms$/],
        [answer(408), /^HTTP 408$/],
        [answer(429, '', { 'Retry-After': '10' }), /^HTTP 429$/],
        [answer(302, '', { Location: elsewhere.url }), /^HTTP 302: redirect to http:\/\/127\.0\.0\.1:\d+\/hook not followed$/],
      ];
      for (const [respond, reason] of cases) {
        receiver.respond(respond);
        const { eventId } = await planned();
        const started = Date.now();
        const result = await webhooks.delivery.attempt({ eventId, subscriptionId: id });
        expect(result).toEqual({ outcome: 'retry', reason: expect.stringMatching(reason), delayMs: 30_000 });
        expect(Date.now() - started).toBeLessThan(3000);
        expect(await delivery(eventId, id)).toMatchObject({ status: 'retrying', last_error: expect.stringMatching(reason) });
      }
      expect(elsewhere.received).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  it('When the receiver answers 400 (or 410), then the delivery fails at once, without retry, and a later job sends nothing', async () => {
    const { id } = await subscribe();
    for (const status of [400, 410]) {
      receiver.respond(answer(status, '{"error":"unknown event"}'));
      const { eventId } = await planned();
      expect(await webhooks.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'failed', reason: `HTTP ${status}` });
      expect(await delivery(eventId, id)).toMatchObject({ status: 'failed', attempts: 1, last_status_code: status, next_attempt_at: null });
      expect(await webhooks.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'skipped', reason: 'the delivery is already failed' });
    }
    expect(receiver.received).toHaveLength(2);
  });

  it('When the answer is huge, then 1 KiB of it is kept in the log, and reading stops early', async () => {
    const { id } = await subscribe();
    receiver.respond(answer(200, `é${'x'.repeat(5 * 1024 * 1024)}`));
    const { eventId } = await planned();
    expect(await webhooks.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'succeeded' });
    const detail = await webhooks.subscriptions.delivery(id, (await delivery(eventId, id)).id);
    expect(detail.response_excerpt).toHaveLength(1024);
    expect(detail.response_excerpt?.startsWith('éx')).toBe(true);
    expect(detail.attempt_log).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, outcome: 'succeeded', response_excerpt: detail.response_excerpt })]);
  });

  it('When a subscription fails WEBHOOK_DISABLE_AFTER times in a row, then it is disabled, a webhook.disabled event is recorded, and its other deliveries are skipped', async () => {
    const module = webhooksModule(api, { webhooks: { disableAfter: 3 } });
    const { id, secret } = await subscribe(module);
    const watcher = await subscribe(module, receiver.url, ['webhook.disabled']);
    receiver.respond(answer(503));
    const events = [await planned(module), await planned(module), await planned(module), await planned(module)];

    expect((await module.delivery.attempt({ eventId: events[0]!.eventId, subscriptionId: id })).outcome).toBe('retry');
    // A success in between starts the count again.
    receiver.respond(answer(204));
    expect((await module.delivery.attempt({ eventId: events[1]!.eventId, subscriptionId: id })).outcome).toBe('succeeded');
    expect((await subscription(id)).consecutive_failures).toBe(0);
    receiver.respond(answer(503));
    expect((await module.delivery.attempt({ eventId: events[0]!.eventId, subscriptionId: id })).outcome).toBe('retry');
    expect((await module.delivery.attempt({ eventId: events[2]!.eventId, subscriptionId: id })).outcome).toBe('retry');
    expect(await subscription(id)).toMatchObject({ is_active: true, consecutive_failures: 2 });
    const third = await module.delivery.attempt({ eventId: events[3]!.eventId, subscriptionId: id });
    expect(third).toEqual({ outcome: 'failed', reason: 'HTTP 503; the subscription was disabled after too many failures' });

    expect(await subscription(id)).toMatchObject({ is_active: false, consecutive_failures: 3, disabled_at: expect.any(String), disabled_reason: 'Disabled after 3 consecutive failed deliveries.' });
    expect(await delivery(events[3]!.eventId, id)).toMatchObject({ status: 'cancelled' });
    const disabled = await api.db('events').where({ type: 'webhook.disabled', resource_id: String(id) });
    expect(disabled).toHaveLength(1);
    expect(disabled[0].payload).toMatchObject({ type: 'webhook.disabled', data: { object: { id, is_active: false, url: receiver.url }, reason: 'Disabled after 3 consecutive failed deliveries.' } });
    expect(JSON.stringify(disabled[0].payload)).not.toMatch(/whsec_|secret/);
    expect(JSON.stringify(disabled[0].payload)).not.toContain(secret.slice(6));
    // The event goes to the subscriptions that listen for it, not to the disabled one.
    expect(await module.delivery.plan({ id: disabled[0].id })).toEqual([watcher.id]);

    const before = receiver.received.length;
    expect(await module.delivery.attempt({ eventId: events[0]!.eventId, subscriptionId: id })).toEqual({ outcome: 'skipped', reason: 'the subscription is disabled' });
    expect(await delivery(events[0]!.eventId, id)).toMatchObject({ status: 'cancelled' });
    expect(receiver.received).toHaveLength(before);
    // Nothing new is planned for it either.
    expect(await module.delivery.plan({ id: (await planned(module)).eventId })).toEqual([]);
  });

  it('When staff replay a delivery through the API, then claimReplays hands it over once and the next attempt sends the same event id with a new retry window', async () => {
    const clock = manualClock();
    const module = webhooksModule(api, { now: clock.now });
    const { id } = await subscribe(module);
    receiver.respond(answer(400));
    const { eventId } = await planned(module);
    expect((await module.delivery.attempt({ eventId, subscriptionId: id })).outcome).toBe('failed');
    const row = await delivery(eventId, id);

    const replay = await request(api.app).post(`/api/v1/admin/webhooks/${id}/deliveries/${row.id}/replay`).set(bearer(staff.access));
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ id: row.id, event_id: eventId, status: 'pending', replay_requested_at: expect.any(String) });
    expect((await api.db('audit_log').where({ action: 'webhook.delivery_replayed', resource_id: String(id) }).pluck<unknown[]>('after'))).toEqual([{ delivery_id: row.id }]);

    clock.advance(2 * 86_400_000);
    const claimed = await module.delivery.claimReplays(10);
    expect(claimed).toEqual([{ eventId, subscriptionId: id, requestedAt: replay.body.replay_requested_at }]);
    expect(await module.delivery.claimReplays(10)).toEqual([]);
    expect(await delivery(eventId, id)).toMatchObject({ status: 'pending', first_attempt_at: null, completed_at: null });

    // Two days after the first attempt: a fresh window, so a failure is retried after the first delay again.
    receiver.respond(answer(502));
    expect(await module.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'retry', reason: 'HTTP 502', delayMs: 30_000 });
    receiver.respond(answer(200));
    clock.advance(30_000);
    expect(await module.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'succeeded' });
    expect(receiver.received.map((got) => [got.headers['x-nexus-event-id'], got.headers['x-nexus-delivery-attempt']])).toEqual([
      [eventId, '1'],
      [eventId, '2'],
      [eventId, '3'],
    ]);

    const log = await request(api.app).get(`/api/v1/admin/webhooks/${id}/deliveries/${row.id}`).set(bearer(staff.access));
    expect(log.body).toMatchObject({ status: 'succeeded', attempts: 3, event: { id: eventId, type: 'order.paid' } });
    expect((log.body.attempt_log as { status_code: number; outcome: string }[]).map((attempt) => [attempt.status_code, attempt.outcome])).toEqual([
      [400, 'failed'],
      [502, 'retry'],
      [200, 'succeeded'],
    ]);
    const list = await request(api.app).get(`/api/v1/admin/webhooks/${id}/deliveries?status=succeeded`).set(bearer(staff.access));
    expect(list.body.results).toEqual([expect.objectContaining({ id: row.id, event_id: eventId, event_type: 'order.paid', status: 'succeeded', attempts: 3, last_status_code: 200, response_excerpt: '' })]);
  });

  it('When the subscription is deleted before the job runs, then the attempt is skipped and nothing is sent', async () => {
    const { id } = await subscribe();
    const { eventId } = await planned();
    expect((await request(api.app).delete(`/api/v1/admin/webhooks/${id}`).set(bearer(staff.access))).status).toBe(204);
    expect(await webhooks.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'skipped', reason: 'no such delivery (its subscription or event was deleted)' });
    expect(receiver.received).toEqual([]);
  });

  it('When two workers attempt the same delivery at the same moment, then the receiver gets one request', async () => {
    const { id } = await subscribe();
    const { eventId } = await planned();
    receiver.respond((_req, res) => setTimeout(() => answer(200)(_req, res), 300));
    const otherWorker = webhooksModule(api);
    const results = await Promise.all([webhooks.delivery.attempt({ eventId, subscriptionId: id }), otherWorker.delivery.attempt({ eventId, subscriptionId: id })]);
    expect(results.map((result) => result.outcome).sort()).toEqual(['retry', 'succeeded']);
    // The loser looks again once the lease would have ended (its holder may have died), and then finds it done.
    expect(results).toContainEqual({ outcome: 'retry', reason: 'another attempt holds this delivery', delayMs: expect.any(Number) });
    expect(receiver.received).toHaveLength(1);
    expect(await delivery(eventId, id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await otherWorker.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'skipped', reason: 'the delivery is already succeeded' });
    expect(receiver.received).toHaveLength(1);
  });

  it('When the secret was sealed under another WEBHOOK_SECRET_KEY, then the attempt says so, sends nothing, and does not count against the receiver', async () => {
    const { id } = await subscribe();
    const rekeyed = webhooksModule(api, { webhooks: { secretKey: 'another-key-of-at-least-32-characters!!' } });
    const { eventId } = await planned(rekeyed);
    const result = await rekeyed.delivery.attempt({ eventId, subscriptionId: id });
    expect(result).toEqual({ outcome: 'retry', reason: expect.stringContaining('encrypted under another WEBHOOK_SECRET_KEY; rotate it'), delayMs: 30_000 });
    expect(receiver.received).toEqual([]);
    expect(await subscription(id)).toMatchObject({ consecutive_failures: 0, is_active: true });
    // Rotating under the current key repairs it.
    await rekeyed.subscriptions.rotateSecret(OPERATOR, id);
    await api.db('webhook_deliveries').where({ event_id: eventId }).update({ next_attempt_at: null });
    expect(await rekeyed.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'succeeded' });
  });

  it('When a test event is recorded, then it is planned for its one subscription only, whatever that one listens for', async () => {
    const { id } = await subscribe(webhooks, receiver.url, ['product.deleted']);
    const bystander = await subscribe(webhooks, receiver.url, ['*']);
    const { event_id: eventId } = await webhooks.subscriptions.sendTest(OPERATOR, id);
    expect(await webhooks.delivery.plan({ id: eventId })).toEqual([id]);
    expect(await webhooks.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'succeeded' });
    expect(receiver.received.map((got) => got.headers['x-nexus-event-type'])).toEqual(['webhook.test']);
    expect(await api.db('webhook_deliveries').where({ subscription_id: bystander.id, event_id: eventId })).toEqual([]);
  });
});
