import { promises as dns } from 'node:dns';
import request from 'supertest';
import type { ResolveHost, WebhooksModule } from '../../../api/modules/webhooks';
import { startTestApi, type TestApi } from '../../support/api';
import { registerStaff } from '../../support/catalog';
import { describeWith } from '../../support/components';
import { dnsmasqAvailable, startDnsmasq, type RunningDnsmasq } from '../../support/dnsmasq';
import { bearer, type RegisteredUser } from '../../support/users';
import { startReceiver, type TestReceiver } from './receiver';
import { OPERATOR, recordTestEvent, webhooksModule } from './webhook-helpers';

/** A public address the tests only ever resolve to, never connect to. */
const PUBLIC_ADDRESS = '93.184.216.34';
const ONLY_PUBLIC = 'webhooks may only reach public addresses.';
const NEVER = 'which webhooks may never reach.';

/** Host names resolved through a test DNS server, as `resolveHost` is given to the module. */
function resolverOn(server: RunningDnsmasq): ResolveHost {
  const resolver = new dns.Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([server.address]);
  return async (host) => {
    const found = [...(await resolver.resolve4(host).catch(() => [])), ...(await resolver.resolve6(host).catch(() => []))];
    if (found.length === 0) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
}

/** What the service answers for a URL: the `url` error, or 'created'. */
async function verdict(module: WebhooksModule, url: string): Promise<string> {
  try {
    await module.subscriptions.create(OPERATOR, { url, events: ['order.paid'] });
    return 'created';
  } catch (error) {
    const fields = (error as { status?: number; fields?: { url?: string[] } }).fields;
    if ((error as { status?: number }).status !== 400 || !fields?.url) throw error;
    return fields.url.join(' ');
  }
}

describe('webhook URLs and SSRF: what a subscription may point at', () => {
  let api: TestApi;
  let staff: RegisteredUser;

  beforeAll(async () => {
    // No allowance: as in production.
    api = await startTestApi({ WEBHOOK_ALLOW_HOSTS: '' });
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  it.each([
    ['http://127.0.0.1/hook', 'The URL\'s host is 127.0.0.1, a loopback address'],
    ['http://127.0.0.1:8000/hook', 'The URL\'s host is 127.0.0.1, a loopback address'],
    ['http://[::1]/hook', 'The URL\'s host is ::1, a loopback address'],
    ['http://localhost:8000/hook', 'resolves to'],
    ['http://10.0.0.1/hook', 'The URL\'s host is 10.0.0.1, a private address'],
    ['http://192.168.1.1/hook', 'The URL\'s host is 192.168.1.1, a private address'],
    ['http://172.16.0.1/hook', 'The URL\'s host is 172.16.0.1, a private address'],
    ['http://[fd12:3456::1]/hook', 'a private address'],
    ['http://169.254.169.254/latest/meta-data/', `The URL's host is 169.254.169.254, a cloud metadata address, ${NEVER}`],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'a cloud metadata address'],
    ['http://100.100.100.200/latest/meta-data/', 'a cloud metadata address'],
    ['http://169.254.1.1/hook', 'a link-local address'],
    ['http://[fe80::1]/hook', 'The URL\'s host is fe80::1, a link-local address'],
    ['http://0.0.0.0/hook', 'The URL\'s host is 0.0.0.0, the unspecified address'],
    ['http://[::]/hook', 'the unspecified address'],
    ['http://[::ffff:127.0.0.1]/hook', 'a loopback address'],
    ['http://[::ffff:169.254.169.254]/hook', 'a cloud metadata address'],
    ['http://2130706433/hook', 'The URL\'s host is 127.0.0.1, a loopback address'],
    ['http://0x7f000001/hook', 'The URL\'s host is 127.0.0.1, a loopback address'],
    ['http://0x7f.1/hook', 'The URL\'s host is 127.0.0.1, a loopback address'],
    ['http://017700000001/hook', 'The URL\'s host is 127.0.0.1, a loopback address'],
    ['http://100.64.0.1/hook', 'a carrier-grade NAT address'],
    ['http://224.0.0.1/hook', 'a multicast address'],
    ['http://255.255.255.255/hook', 'the broadcast address'],
    ['http://240.0.0.1/hook', 'a reserved address'],
    ['http://[64:ff9b::7f00:1]/hook', 'a special-purpose address'],
  ])('When staff subscribe %s, then 400 on `url` and nothing is stored', async (url, message) => {
    const response = await request(api.app).post('/api/v1/admin/webhooks').set(bearer(staff.access)).send({ url, events: ['order.paid'] });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ url: [expect.stringContaining(message)], code: 'invalid' });
    expect(response.body.url[0]).toMatch(/(webhooks may only reach public addresses|which webhooks may never reach)\.$/);
    expect(await api.db('webhook_subscriptions').count('* as count').first()).toEqual({ count: 0 });
  });

  it('When https is required (production), then http is refused, except for a host in WEBHOOK_ALLOW_HOSTS', async () => {
    const production = webhooksModule(api, { webhooks: { requireHttps: true, allowHosts: ['127.0.0.1'] }, resolveHost: async () => [PUBLIC_ADDRESS] });
    expect(await verdict(production, 'http://shop-hooks.example.net/x')).toBe('Webhook URLs must use https.');
    expect(await verdict(production, 'https://shop-hooks.example.net/x')).toBe('created');
    expect(await verdict(production, 'http://127.0.0.1:9/x')).toBe('created');
  });

  describeWith('dnsmasq', dnsmasqAvailable, 'host names resolved through a real DNS server', () => {
    let server: RunningDnsmasq;
    let receiver: TestReceiver;
    let resolveHost: ResolveHost;

    beforeAll(async () => {
      server = await startDnsmasq('nexus.test', [
        `host-record=public.nexus.test,${PUBLIC_ADDRESS}`,
        'host-record=internal.nexus.test,127.0.0.1',
        'host-record=office.nexus.test,10.1.2.3',
        `host-record=mixed.nexus.test,${PUBLIC_ADDRESS}`,
        'host-record=mixed.nexus.test,192.168.7.7',
        'host-record=v6.nexus.test,::1',
        'host-record=metadata.nexus.test,169.254.169.254',
      ]);
      resolveHost = resolverOn(server);
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await receiver?.close();
      await server?.stop();
    });
    beforeEach(async () => {
      await api.db('webhook_subscriptions').delete();
    });

    it('When a name resolves to an internal address (even one of several), then it is refused; a public one is accepted', async () => {
      const module = webhooksModule(api, { resolveHost });
      expect(await verdict(module, 'http://internal.nexus.test/hook')).toBe(`The URL's host resolves to 127.0.0.1, a loopback address: ${ONLY_PUBLIC}`);
      expect(await verdict(module, 'http://office.nexus.test/hook')).toBe(`The URL's host resolves to 10.1.2.3, a private address: ${ONLY_PUBLIC}`);
      expect(await verdict(module, 'http://mixed.nexus.test/hook')).toBe(`The URL's host resolves to 192.168.7.7, a private address: ${ONLY_PUBLIC}`);
      expect(await verdict(module, 'http://v6.nexus.test/hook')).toBe(`The URL's host resolves to ::1, a loopback address: ${ONLY_PUBLIC}`);
      expect(await verdict(module, 'http://INTERNAL.nexus.test./hook')).toMatch(/^The URL's host resolves to 127\.0\.0\.1/);
      expect(await verdict(module, 'http://missing.nexus.test/hook')).toBe("The URL's host could not be resolved (ENOTFOUND).");
      expect(await verdict(module, 'http://public.nexus.test/hook')).toBe('created');
    });

    it('When a name that resolved to a public address then resolves to 127.0.0.1 now (DNS rebinding), then the delivery is refused at connect time and nothing reaches the receiver', async () => {
      // Saved while the name pointed elsewhere.
      const then = webhooksModule(api, { resolveHost: async () => [PUBLIC_ADDRESS] });
      const { id } = await then.subscriptions.create(OPERATOR, { url: `http://internal.nexus.test:${receiver.port}/hook`, events: ['order.paid'] });
      const now = webhooksModule(api, { resolveHost });
      const eventId = await recordTestEvent(api);
      expect(await now.delivery.plan({ id: eventId })).toEqual([id]);
      const result = await now.delivery.attempt({ eventId, subscriptionId: id });
      expect(result).toEqual({ outcome: 'retry', reason: `The URL's host resolves to 127.0.0.1, a loopback address: ${ONLY_PUBLIC}`, delayMs: 30_000 });
      expect(receiver.received).toEqual([]);
      const delivery = await api.db('webhook_deliveries').where({ event_id: eventId }).first();
      expect(delivery).toMatchObject({ status: 'retrying', last_status_code: null, last_error: expect.stringContaining('127.0.0.1, a loopback address') });
    });

    it('When an IP literal was allowed and the allowance is removed, then its deliveries are refused too', async () => {
      const allowed = webhooksModule(api, { webhooks: { allowHosts: ['127.0.0.1'] } });
      const { id } = await allowed.subscriptions.create(OPERATOR, { url: receiver.url, events: ['order.paid'] });
      const eventId = await recordTestEvent(api);
      await allowed.delivery.plan({ id: eventId });
      const strict = webhooksModule(api);
      expect(await strict.delivery.attempt({ eventId, subscriptionId: id })).toMatchObject({ outcome: 'retry', reason: `The URL's host is 127.0.0.1, a loopback address: ${ONLY_PUBLIC}` });
      expect(receiver.received).toEqual([]);
      // The positive control: with the allowance, the same delivery goes through.
      expect(await allowed.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'succeeded' });
      expect(receiver.received).toHaveLength(1);
      receiver.received.length = 0;
    });

    it('When the allowance lists a metadata address or a name resolving to one, then it is still refused, at subscription and at connect time', async () => {
      const allowing = webhooksModule(api, { resolveHost, webhooks: { allowHosts: ['169.254.169.254', 'metadata.nexus.test', 'internal.nexus.test', '::ffff:169.254.169.254'] } });
      expect(await verdict(allowing, 'http://169.254.169.254/latest/meta-data/')).toBe(`The URL's host is 169.254.169.254, a cloud metadata address, ${NEVER}`);
      expect(await verdict(allowing, 'http://[::ffff:169.254.169.254]/')).toMatch(/a cloud metadata address/);
      expect(await verdict(allowing, 'http://metadata.nexus.test/latest/meta-data/')).toBe(`The URL's host resolves to 169.254.169.254, a cloud metadata address, ${NEVER}`);
      // The allowance does let the listed internal name through.
      expect(await verdict(allowing, `http://internal.nexus.test:${receiver.port}/hook`)).toBe('created');

      const then = webhooksModule(api, { resolveHost: async () => [PUBLIC_ADDRESS] });
      const { id } = await then.subscriptions.create(OPERATOR, { url: 'http://metadata.nexus.test/latest/meta-data/', events: ['order.paid'] });
      const eventId = await recordTestEvent(api);
      await allowing.delivery.plan({ id: eventId });
      const result = await allowing.delivery.attempt({ eventId, subscriptionId: id });
      expect(result).toMatchObject({ outcome: 'retry', reason: `The URL's host resolves to 169.254.169.254, a cloud metadata address, ${NEVER}` });
    });
  });
});
