import { startTestApi, type TestApi } from '../../support/api';
import { registerStaff } from '../../support/catalog';
import type { RegisteredUser } from '../../support/users';
import { consoleSignIn, type ConsoleBrowser } from './console-session';

/** Webhook subscriptions in the console: the same service and rules as the staff API, the secret shown once. */
describe('the staff console: webhooks', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let browser: ConsoleBrowser;

  const post = (path: string, body: Record<string, string | string[]>) => browser.agent.post(path).type('form').send({ csrf: browser.csrf, ...body });
  const subscriptionRow = (url: string) => api.db('webhook_subscriptions').where({ url }).first() as Promise<{ id: number; events: string[]; is_active: boolean; secret_ciphertext: string } | undefined>;

  beforeAll(async () => {
    api = await startTestApi({ WEBHOOK_ALLOW_HOSTS: 'localhost' });
    staff = await registerStaff(api);
    browser = await consoleSignIn(api, staff);
  });
  afterAll(() => api.close());

  it('When staff create a subscription, then its secret is shown on that answer only, stored encrypted, and the change is audited', async () => {
    const url = 'http://localhost/erp';
    const created = await post('/admin/webhooks/', { url, events: ['order.paid', 'order.shipped'], description: 'ERP <b>feed</b>' });
    expect(created.status).toBe(201);
    const secret = /id="new-secret">([^<]+)</.exec(created.text)?.[1] as string;
    expect(secret).toMatch(/^whsec_/);
    expect(created.text).toContain('ERP &lt;b&gt;feed&lt;/b&gt;');
    const row = (await subscriptionRow(url))!;
    expect(row.events).toEqual(['order.paid', 'order.shipped']);
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
    const detail = await browser.agent.get(`/admin/webhooks/${row.id}/`);
    expect(detail.status).toBe(200);
    expect(detail.text).not.toContain(secret);
    expect(detail.text).toMatch(/value="order.paid" checked/);
    const audit = await api.db('audit_log').where({ resource_type: 'webhook_subscription', resource_id: String(row.id) }).select('action', 'source', 'after');
    expect(audit).toEqual([expect.objectContaining({ source: 'console' })]);
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('When the URL is unsafe or no event is chosen, then the form comes back with the refusal and nothing is stored', async () => {
    for (const body of [
      { url: 'http://127.0.0.1/hook', events: 'order.paid' },
      { url: 'http://169.254.169.254/latest/meta-data/', events: 'order.paid' },
      { url: 'javascript:alert(1)', events: 'order.paid' },
      { url: 'http://localhost/none', events: [] as string[] },
      { url: 'http://localhost/bogus', events: 'order.teleported' },
    ]) {
      const refused = await post('/admin/webhooks/', body);
      expect(refused.status).toBe(400);
      expect(refused.text).toMatch(/role="alert" class="error">/);
      expect(await subscriptionRow(body.url)).toBeUndefined();
    }
  });

  it('When staff send a test, edit, disable, replay and delete, then each goes through the service and shows in the delivery log', async () => {
    const url = 'http://localhost/store';
    await post('/admin/webhooks/', { url, events: 'product.updated' });
    const { id } = (await subscriptionRow(url))!;
    expect((await post(`/admin/webhooks/${id}/test/`, {})).status).toBe(303);
    const [test] = await api.db('events').where({ type: 'webhook.test', only_subscription_id: id }).select('id');
    expect(test).toBeDefined();
    // The worker plans deliveries; here the row is written as it would.
    const [delivery] = await api.db('webhook_deliveries').insert({ subscription_id: id, event_id: (test as { id: string }).id, status: 'failed', attempts: 3 }).returning('id');
    const deliveryId = (delivery as { id: number }).id;
    const log = await browser.agent.get(`/admin/webhooks/${id}/?status=failed`);
    expect(log.text).toContain('webhook.test');
    expect((await browser.agent.get(`/admin/webhooks/${id}/deliveries/${deliveryId}/`)).text).toContain('Not attempted yet.');
    expect((await post(`/admin/webhooks/${id}/deliveries/${deliveryId}/replay/`, {})).status).toBe(303);
    expect(await api.db('webhook_deliveries').where({ id: deliveryId }).first('status', 'replay_requested_at')).toMatchObject({ status: 'pending', replay_requested_at: expect.anything() });

    expect((await post(`/admin/webhooks/${id}/`, { url, events: ['product.updated', 'product.deleted'], description: '' })).status).toBe(303);
    expect(await subscriptionRow(url)).toMatchObject({ events: ['product.updated', 'product.deleted'], is_active: false });
    const rotated = await post(`/admin/webhooks/${id}/rotate-secret/`, {});
    expect(rotated.text).toMatch(/id="new-secret">whsec_/);
    expect((await post(`/admin/webhooks/${id}/delete/`, {})).status).toBe(303);
    expect(await subscriptionRow(url)).toBeUndefined();
  });
});
