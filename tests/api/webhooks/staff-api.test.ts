import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { registerStaff } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';

const NO_SUBSCRIPTION = { detail: 'No WebhookSubscription matches the given query.', code: 'not_found' };
const SUBSCRIPTION_KEYS = ['consecutive_failures', 'created_at', 'description', 'disabled_at', 'disabled_reason', 'events', 'id', 'is_active', 'updated_at', 'url'];

describe('webhook subscriptions through the staff API (/api/v1/admin/webhooks)', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let customer: RegisteredUser;
  const hook = (path = 'hook') => `http://127.0.0.1:9/${path}`;

  const as = (user: RegisteredUser | undefined) => ({
    get: (path: string) => request(api.app).get(path).set(user ? bearer(user.access) : {}),
    post: (path: string, body?: object | string) => {
      const pending = request(api.app).post(path).set(user ? bearer(user.access) : {});
      return body === undefined ? pending : typeof body === 'string' ? pending.set('Content-Type', 'application/json').send(body) : pending.send(body);
    },
    patch: (path: string, body: object) => request(api.app).patch(path).set(user ? bearer(user.access) : {}).send(body),
    delete: (path: string) => request(api.app).delete(path).set(user ? bearer(user.access) : {}),
  });
  const create = (body: object) => as(staff).post('/api/v1/admin/webhooks', body);
  const count = async (table: string) => Number((await api.db(table).count<{ count: number }[]>('* as count'))[0]?.count);

  beforeAll(async () => {
    api = await startTestApi({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1,localhost' });
    staff = await registerStaff(api);
    customer = await registerUser(api);
  });
  afterAll(() => api.close());

  it('When staff subscribe a URL, then the answer is 201 with the secret, shown that once: never in the list or the detail', async () => {
    const created = await create({ url: hook('orders'), events: ['order.paid', 'order.shipped', 'order.paid'], description: '  Fulfilment  ' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: hook('orders'), events: ['order.paid', 'order.shipped'], description: 'Fulfilment', is_active: true, consecutive_failures: 0, disabled_at: null });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Object.keys(created.body).sort()).toEqual([...SUBSCRIPTION_KEYS, 'secret'].sort());

    const detail = await as(staff).get(`/api/v1/admin/webhooks/${created.body.id}/`);
    expect(detail.status).toBe(200);
    expect(Object.keys(detail.body).sort()).toEqual(SUBSCRIPTION_KEYS);
    const list = await as(staff).get('/api/v1/admin/webhooks');
    expect(list.body).toMatchObject({ count: 1, next: null, previous: null });
    expect(Object.keys(list.body.results[0]).sort()).toEqual(SUBSCRIPTION_KEYS);
    expect(JSON.stringify([detail.body, list.body])).not.toContain(created.body.secret);

    // "*" means every event, alone.
    const all = await create({ url: hook('all'), events: ['order.paid', '*'] });
    expect(all.body.events).toEqual(['*']);
    expect(((await as(staff).get('/api/v1/admin/webhooks')).body.results as { id: number }[]).map((item) => item.id)).toEqual([all.body.id, created.body.id]);
  });

  it.each([
    ['malformed JSON', '{"url": "http://127.0.0.1/x", "events": [', { detail: expect.stringContaining('JSON parse error') }],
    ['a list instead of an object', '[1, 2]', { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
    ['no events', { url: 'http://127.0.0.1:9/x', events: [] }, { events: ['This list may not be empty.'] }],
    ['events as a string', { url: 'http://127.0.0.1:9/x', events: 'order.paid' }, { events: ['Expected a list of items but got type "str".'] }],
    ['an unknown event type', { url: 'http://127.0.0.1:9/x', events: ['order.lost'] }, { events: { 0: ['"order.lost" is not a valid choice.'] } }],
    ['the internal test event', { url: 'http://127.0.0.1:9/x', events: ['webhook.test'] }, { events: { 0: ['"webhook.test" is not a valid choice.'] } }],
    ['a number as URL', { url: 42, events: ['order.paid'] }, { url: ['Not a valid string.'] }],
    ['no URL', { events: ['order.paid'] }, { url: ['This field is required.'] }],
    ['a javascript: URL', { url: 'javascript:alert(1)', events: ['order.paid'] }, { url: ['Enter a valid http or https URL.'] }],
    ['an ftp: URL', { url: 'ftp://127.0.0.1/x', events: ['order.paid'] }, { url: ['Enter a valid http or https URL.'] }],
    ['a file: URL', { url: 'file:///etc/passwd', events: ['order.paid'] }, { url: ['Enter a valid http or https URL.'] }],
    ['credentials in the URL', { url: 'http://user:pass@127.0.0.1:9/x', events: ['order.paid'] }, { url: [expect.stringContaining('must not contain credentials')] }], // secretlint-disable-line -- made-up credentials, for this test
    ['a URL of 2049 characters', { url: `http://127.0.0.1:9/${'a'.repeat(2030)}`, events: ['order.paid'] }, { url: ['Ensure this field has no more than 2048 characters.'] }],
    ['SQL in the URL', { url: "http://127.0.0.1:9/x'; DROP TABLE webhook_subscriptions; --", events: ['order.paid'] }, null],
    ['HTML as the URL', { url: '<script>alert(1)</script>', events: ['order.paid'] }, { url: ['Enter a valid http or https URL.'] }],
    ['a NUL in the description', { url: 'http://127.0.0.1:9/x', events: ['order.paid'], description: 'a\u0000b' }, { description: ['Null characters are not allowed.'] }],
    ['a secret of its own choosing', { url: 'http://127.0.0.1:9/x', events: ['order.paid'], secret: 'whsec_mine' }, { non_field_errors: ['Unknown field: secret.'] }],
    ['a description of 201 characters', { url: 'http://127.0.0.1:9/x', events: ['order.paid'], description: 'd'.repeat(201) }, { description: ['Ensure this field has no more than 200 characters.'] }],
  ])('When the body has %s, then 400 with the field named, and nothing is stored', async (_name, body, errors) => {
    const before = await count('webhook_subscriptions');
    const response = await as(staff).post('/api/v1/admin/webhooks', body);
    if (errors === null) {
      // A path may hold any text: stored percent-encoded, harmlessly.
      expect(response.status).toBe(201);
      expect(response.body.url).toBe("http://127.0.0.1:9/x';%20DROP%20TABLE%20webhook_subscriptions;%20--");
      await as(staff).delete(`/api/v1/admin/webhooks/${response.body.id}`);
      return;
    }
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ ...errors, code: expect.any(String) });
    expect(await count('webhook_subscriptions')).toBe(before);
  });

  it('When a customer or nobody calls, then 403 or 401; an unknown or malformed id is 404', async () => {
    const { body: created } = await create({ url: hook('auth'), events: ['order.paid'] });
    for (const [user, status] of [[customer, 403], [undefined, 401]] as const) {
      const caller = as(user);
      const answers = await Promise.all([
        caller.get('/api/v1/admin/webhooks'),
        caller.post('/api/v1/admin/webhooks', { url: hook(), events: ['order.paid'] }),
        caller.get(`/api/v1/admin/webhooks/${created.id}`),
        caller.patch(`/api/v1/admin/webhooks/${created.id}`, { is_active: false }),
        caller.delete(`/api/v1/admin/webhooks/${created.id}`),
        caller.post(`/api/v1/admin/webhooks/${created.id}/test`),
        caller.post(`/api/v1/admin/webhooks/${created.id}/rotate-secret`),
        caller.get(`/api/v1/admin/webhooks/${created.id}/deliveries`),
        caller.post(`/api/v1/admin/webhooks/${created.id}/deliveries/1/replay`),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => status));
    }
    for (const path of ['999999', '0', 'abc', '1e3', `${created.id}.0`]) {
      expect((await as(staff).get(`/api/v1/admin/webhooks/${path}`)).status).toBe(404);
    }
    expect((await as(staff).get('/api/v1/admin/webhooks/999999')).body).toEqual(NO_SUBSCRIPTION);
    expect((await as(staff).patch('/api/v1/admin/webhooks/999999', { is_active: true })).body).toEqual(NO_SUBSCRIPTION);
    expect((await as(staff).delete('/api/v1/admin/webhooks/999999')).status).toBe(404);
    expect((await as(staff).post('/api/v1/admin/webhooks/999999/test')).body).toEqual(NO_SUBSCRIPTION);
    expect((await as(staff).get(`/api/v1/admin/webhooks/${created.id}/deliveries/999999`)).body).toEqual({ detail: 'No WebhookDelivery matches the given query.', code: 'not_found' });
    expect((await as(staff).get(`/api/v1/admin/webhooks/${created.id}`)).body.is_active).toBe(true);
  });

  it('When staff change, deactivate, re-activate and delete a subscription, then each change is audited (never with the secret)', async () => {
    const { body: created } = await create({ url: hook('audit'), events: ['order.paid'] });
    const changed = await as(staff).patch(`/api/v1/admin/webhooks/${created.id}/`, { url: hook('audit-2'), events: ['product.created'], description: 'Catalogue sync' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ url: hook('audit-2'), events: ['product.created'], description: 'Catalogue sync' });
    expect((await as(staff).patch(`/api/v1/admin/webhooks/${created.id}`, { events: [] })).status).toBe(400);
    expect((await as(staff).patch(`/api/v1/admin/webhooks/${created.id}`, { url: 'gopher://127.0.0.1/' })).body).toEqual({ url: ['Enter a valid http or https URL.'], code: 'invalid' });

    const off = await as(staff).patch(`/api/v1/admin/webhooks/${created.id}`, { is_active: false });
    expect(off.body).toMatchObject({ is_active: false, disabled_reason: `Disabled by ${staff.email}.` });
    // As the worker leaves a subscription it disabled: re-activation starts the count again.
    await api.db('webhook_subscriptions').where({ id: created.id }).update({ consecutive_failures: 25 });
    const on = await as(staff).patch(`/api/v1/admin/webhooks/${created.id}`, { is_active: true });
    expect(on.body).toMatchObject({ is_active: true, consecutive_failures: 0, disabled_at: null, disabled_reason: null });

    expect((await as(staff).delete(`/api/v1/admin/webhooks/${created.id}`)).status).toBe(204);
    expect((await as(staff).get(`/api/v1/admin/webhooks/${created.id}`)).status).toBe(404);

    const audit: { action: string; actor_id: number; source: string }[] = await api.db('audit_log').where({ resource_type: 'webhook_subscription', resource_id: String(created.id) }).orderBy('id');
    expect(audit.map((row) => row.action)).toEqual(['webhook.created', 'webhook.updated', 'webhook.updated', 'webhook.updated', 'webhook.deleted']);
    expect(audit.every((row) => row.actor_id === staff.id && row.source === 'api')).toBe(true);
    expect(audit[1]).toMatchObject({ before: { url: hook('audit') }, after: { url: hook('audit-2'), events: ['product.created'] } });
    expect(JSON.stringify(audit)).not.toContain(created.secret);
    expect(JSON.stringify(audit)).not.toMatch(/whsec_|secret_ciphertext/);
  });

  it('When the database is dumped, then no secret is in it in clear, in any row of any webhook or audit table', async () => {
    const { body: created } = await create({ url: hook('dump'), events: ['*'] });
    const rotated = await as(staff).post(`/api/v1/admin/webhooks/${created.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.secret);
    await as(staff).post(`/api/v1/admin/webhooks/${created.id}/test`);

    const rows: string[] = [];
    for (const table of ['webhook_subscriptions', 'events', 'webhook_deliveries', 'webhook_attempts', 'audit_log']) {
      const { rows: texts } = await api.db.raw<{ rows: { text: string }[] }>(`SELECT t::text AS text FROM ${table} t`);
      rows.push(...texts.map((row) => row.text));
    }
    const stored = (await api.db('webhook_subscriptions').where({ id: created.id }).first()) as { secret_ciphertext: string };
    expect(stored.secret_ciphertext).toMatch(/^v1:[\w-]{16}:[\w-]{22}:[\w-]+$/);
    for (const secret of [created.secret as string, rotated.body.secret as string]) {
      const random = secret.slice('whsec_'.length);
      expect(rows.filter((row) => row.includes(random) || row.includes(Buffer.from(random, 'base64url').toString('hex')))).toEqual([]);
    }
    expect(api.logs().map((line) => JSON.stringify(line)).filter((line) => line.includes(rotated.body.secret as string))).toEqual([]);
  });

  it('When staff send a test, then a webhook.test event for that subscription alone is recorded (202); a disabled one is 409', async () => {
    const { body: created } = await create({ url: hook('ping'), events: ['order.paid'] });
    const sent = await as(staff).post(`/api/v1/admin/webhooks/${created.id}/test/`);
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ event_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const event = await api.db('events').where({ id: sent.body.event_id }).first();
    expect(event).toMatchObject({ type: 'webhook.test', only_subscription_id: created.id, resource_type: 'webhook_subscription', resource_id: String(created.id) });
    expect(event.payload).toMatchObject({ id: sent.body.event_id, type: 'webhook.test', api_version: 'v1', data: { object: { id: created.id, url: hook('ping') } } });
    expect(JSON.stringify(event.payload)).not.toContain('secret');

    await as(staff).patch(`/api/v1/admin/webhooks/${created.id}`, { is_active: false });
    const refused = await as(staff).post(`/api/v1/admin/webhooks/${created.id}/test`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_transition');
  });

  it('When a list is paged past its end or filtered by an unknown status, then 404 "Invalid page." or 400', async () => {
    const { body: created } = await create({ url: hook('pages'), events: ['order.paid'] });
    expect((await as(staff).get('/api/v1/admin/webhooks?page=99')).body).toEqual({ detail: 'Invalid page.', code: 'not_found' });
    expect((await as(staff).get(`/api/v1/admin/webhooks/${created.id}/deliveries?page=99`)).body).toEqual({ detail: 'Invalid page.', code: 'not_found' });
    expect((await as(staff).get(`/api/v1/admin/webhooks/${created.id}/deliveries?status=lost`)).status).toBe(400);
    expect((await as(staff).get('/api/v1/admin/webhooks/999999/deliveries')).body).toEqual(NO_SUBSCRIPTION);
    expect((await as(staff).get(`/api/v1/admin/webhooks/${created.id}/deliveries?status=failed`)).body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });
});
