import { verifySignature, type WebhooksModule } from '../../../api/modules/webhooks';
import { startTestApi, type TestApi } from '../../support/api';
import { expectExit, runNexus, type CliResult } from '../../support/cli';
import { answer, startReceiver, type TestReceiver } from '../../api/webhooks/receiver';
import { webhooksModule } from '../../api/webhooks/webhook-helpers';

interface SubscriptionJson {
  id: number;
  url: string;
  events: string[];
  secret?: string;
  is_active: boolean;
}

describe('nexus webhooks: subscriptions, tests, the delivery log and replays from the CLI', () => {
  let api: TestApi;
  let receiver: TestReceiver;
  let worker: WebhooksModule;

  const env = () => ({ DATABASE_URL: api.database.url, NEXUS_OPERATOR: 'ops@ci', WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_SECRET_KEY: api.config.webhooks.secretKey });
  const webhooks = (args: string[], extra: Record<string, string | undefined> = {}) => runNexus(['webhooks', ...args], { env: { ...env(), ...extra } });
  const errorOf = (result: CliResult) => result.json<{ error: { code: string; message: string } }>().error;
  const add = async (events = 'order.paid') => {
    const result = await webhooks(['add', '--url', receiver.url, '--events', events, '--json']);
    expectExit(result, 0);
    return result.json<SubscriptionJson>();
  };
  /** What the worker does with the newest event of a subscription: plan it and make one attempt. */
  const deliverNewest = async () => {
    for (let tries = 0; tries < 100; tries += 1) {
      const event = await api.db('events').whereNull('relayed_at').orderBy('sequence', 'desc').first<{ id: string } | undefined>('id');
      if (event) {
        await api.db('events').where({ id: event.id }).update({ relayed_at: api.db.fn.now() });
        for (const subscriptionId of await worker.delivery.plan(event)) await worker.delivery.attempt({ eventId: event.id, subscriptionId });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('no event was recorded');
  };

  beforeAll(async () => {
    api = await startTestApi({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
    receiver = await startReceiver();
    worker = webhooksModule(api);
  });
  afterAll(async () => {
    await receiver.close();
    await api.close();
  });

  it('When a URL is added, then the secret is printed once (and works with the API\'s key), the list never shows it, and the change is audited as the operator', async () => {
    const human = await webhooks(['add', '--url', receiver.url, '--events', 'order.paid,order.shipped', '--description', 'Fulfilment']);
    expectExit(human, 0);
    expect(human.stdout).toMatch(/^Subscribed: +\d+ {2}http:\/\/127\.0\.0\.1:\d+\/hook {2}order\.paid,order\.shipped {2}"Fulfilment"\nSigning secret: whsec_[\w-]{43}\nStore it now: it will not be shown again/);

    const created = await add('*');
    expect(created).toMatchObject({ url: receiver.url, events: ['*'], is_active: true, secret: expect.stringMatching(/^whsec_/) });
    const list = await webhooks(['list', '--json']);
    expectExit(list, 0);
    const listed = list.json<{ count: number; results: SubscriptionJson[] }>();
    expect(listed.count).toBe(2);
    expect(listed.results[0]).not.toHaveProperty('secret');
    expect(list.stdout).not.toContain('whsec_');
    expect(await api.db('audit_log').where({ action: 'webhook.created' }).pluck('actor')).toEqual(['cli:ops@ci', 'cli:ops@ci']);

    // The API's worker signs with the secret the CLI sealed.
    receiver.received.length = 0;
    const { event_id: eventId } = await worker.subscriptions.sendTest({ label: 'test', source: 'cli' }, created.id);
    await worker.delivery.plan({ id: eventId });
    expect(await worker.delivery.attempt({ eventId, subscriptionId: created.id })).toEqual({ outcome: 'succeeded' });
    expect(verifySignature({ secret: created.secret as string, body: receiver.received[0]?.body ?? '', header: receiver.received[0]?.headers['x-nexus-signature'] as string })).toBe(true);
    await api.db('events').update({ relayed_at: api.db.fn.now() });

    const rotated = await webhooks(['rotate-secret', String(created.id), '--json']);
    expectExit(rotated, 0);
    expect(rotated.json<SubscriptionJson>().secret).not.toBe(created.secret);
  });

  it.each([
    [['add', '--url', 'http://10.0.0.1/hook', '--events', 'order.paid'], 2, /^Error \(USAGE\): --url: The URL's host is 10\.0\.0\.1, a private address: webhooks may only reach public addresses\.$/m],
    [['add', '--url', 'http://169.254.169.254/', '--events', 'order.paid'], 2, /a cloud metadata address/],
    [['add', '--url', 'ftp://127.0.0.1/x', '--events', 'order.paid'], 2, /--url: Enter a valid http or https URL\./],
    [['add', '--url', 'http://u:p@127.0.0.1/x', '--events', 'order.paid'], 2, /--url: The URL must not contain credentials/],
    [['add', '--url', 'http://127.0.0.1/x', '--events', 'order.paid,order.lost'], 2, /--events: unknown event type "order\.lost"/],
    [['add', '--url', 'http://127.0.0.1/x', '--events', 'webhook.test'], 2, /unknown event type "webhook\.test"/],
    [['add', '--events', 'order.paid'], 2, /A URL is required\./],
    [['add', '--url', 'http://127.0.0.1/x'], 2, /The event types are required\./],
    [['remove', '999999'], 1, /No webhook subscription matches the given query\./],
    [['remove', 'abc'], 2, /ID: expected a positive integer id; not "abc"\./],
    [['test', '0'], 2, /ID: expected a positive integer id; not "0"\./],
    [['replay', '1', '1; DROP TABLE webhook_deliveries'], 2, /DELIVERY: expected a positive integer id/],
    [['deliveries', '999999'], 1, /No webhook subscription matches/],
    [['replay', '1', '999999'], 1, /No (webhook subscription|delivery) matches/],
    [['deliveries', '1', '--status', 'lost'], 2, /--status/],
  ])('When `nexus webhooks %j` gets bad input, then it exits %i with a one-line reason and nothing changes', async (args, code, message) => {
    const before = await api.db('webhook_subscriptions').count('* as count').first();
    const result = await webhooks(args);
    expectExit(result, code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.split('\n')[0]).toMatch(/^Error/);
    expect(await api.db('webhook_subscriptions').count('* as count').first()).toEqual(before);
  });

  it('When the key that seals secrets is unknown, then add refuses (exit 3) naming WEBHOOK_SECRET_KEY; commands that seal nothing still work', async () => {
    const result = await webhooks(['add', '--url', receiver.url, '--events', 'order.paid', '--json'], { WEBHOOK_SECRET_KEY: undefined, JWT_SECRET: undefined });
    expectExit(result, 3);
    expect(JSON.stringify(errorOf(result))).toContain('WEBHOOK_SECRET_KEY');
    expectExit(await webhooks(['list'], { WEBHOOK_SECRET_KEY: undefined }), 0);
  });

  it('When a test is sent with --wait, then the CLI follows the delivery log to its outcome: 0 when delivered, 1 with the reason when refused', async () => {
    const { id } = await add('order.shipped');
    receiver.respond(answer(200, 'thanks'));
    const [ok] = await Promise.all([webhooks(['test', String(id), '--wait', '20', '--json']), deliverNewest()]);
    expectExit(ok, 0);
    expect(ok.json()).toEqual({ event_id: expect.any(String), delivery: expect.objectContaining({ status: 'succeeded', event_type: 'webhook.test', last_status_code: 200, attempts: 1 }) });

    receiver.respond(answer(401, 'bad signature'));
    const [refused] = await Promise.all([webhooks(['test', String(id), '--wait', '20', '--json']), deliverNewest()]);
    expectExit(refused, 1);
    expect(errorOf(refused)).toMatchObject({ code: 'WEBHOOK_TEST_FAILED', message: 'The test delivery failed: HTTP 401.' });
    expect(refused.stdout.trim().split('\n')).toHaveLength(refused.stdout.trim().split('\n').length);
    expect(() => JSON.parse(refused.stdout) as unknown).not.toThrow();

    // Nobody delivers it: the wait ends with what was seen.
    const waited = await webhooks(['test', String(id), '--wait', '1']);
    expectExit(waited, 1);
    expect(waited.stderr).toMatch(/No outcome after 1 s: the worker has not picked it up\./);
    await api.db('events').update({ relayed_at: api.db.fn.now() });
  });

  it('When the delivery log is read and a delivery replayed, then --status and --limit filter it and the replay is queued for the worker', async () => {
    const { id } = await add('order.paid');
    receiver.respond(answer(500, 'down'));
    const [sent] = await Promise.all([webhooks(['test', String(id), '--json']), deliverNewest()]);
    expectExit(sent, 0);
    const log = await webhooks(['deliveries', String(id), '--json']);
    expectExit(log, 0);
    const { count, results } = log.json<{ count: number; results: { id: number; status: string; last_status_code: number; response_excerpt: string; event_id: string }[] }>();
    expect(count).toBe(1);
    expect(results[0]).toMatchObject({ status: 'retrying', last_status_code: 500, response_excerpt: 'down', event_id: sent.json<{ event_id: string }>().event_id });
    expect((await webhooks(['deliveries', String(id), '--status', 'succeeded', '--json'])).json()).toEqual({ count: 0, results: [] });
    const human = await webhooks(['deliveries', String(id), '--limit', '1']);
    expect(human.stdout).toMatch(/webhook\.test +[0-9a-f-]{36} {2}retrying after 1 attempt\(s\) HTTP 500 in \d+ ms: HTTP 500, next attempt /);

    const replay = await webhooks(['replay', String(id), String(results[0]?.id), '--json']);
    expectExit(replay, 0);
    expect(replay.json()).toMatchObject({ id: results[0]?.id, status: 'pending', replay_requested_at: expect.any(String) });
    expect(await worker.delivery.claimReplays(10)).toEqual([expect.objectContaining({ subscriptionId: id, eventId: results[0]?.event_id })]);

    const removed = await webhooks(['remove', String(id), '--json']);
    expectExit(removed, 0);
    expect(removed.json<SubscriptionJson>().id).toBe(id);
    expect(await api.db('webhook_deliveries').where({ subscription_id: id })).toEqual([]);
    expect(await api.db('audit_log').where({ resource_id: String(id) }).orderBy('id').pluck('action')).toEqual(['webhook.created', 'webhook.test_sent', 'webhook.delivery_replayed', 'webhook.deleted']);
  });
});
