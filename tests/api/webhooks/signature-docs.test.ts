import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { signPayload, type WebhooksModule } from '../../../api/modules/webhooks';
import { startTestApi, type TestApi } from '../../support/api';
import { startReceiver, type TestReceiver } from './receiver';
import { OPERATOR, recordTestEvent, webhooksModule } from './webhook-helpers';

type Verify = (rawBody: string | Buffer, header: string | undefined, secret: string, now?: number) => boolean;

const MARKER = '<!-- verify-signature-snippet -->';

/** The ```js block right after the marker in docs/webhooks.md, as a reader would copy it. */
function documentedVerifier(): Verify {
  const markdown = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'webhooks.md'), 'utf8');
  const after = markdown.split(MARKER)[1];
  const block = after ? /^\s*```js\n([\s\S]*?)\n```/.exec(after)?.[1] : undefined;
  if (!block) throw new Error(`docs/webhooks.md has no \`\`\`js block right after ${MARKER}`);
  return runInNewContext(`${block}\nverifyNexusSignature`, { require, Buffer }) as Verify;
}

describe('the signature check documented in docs/webhooks.md, against real deliveries', () => {
  let api: TestApi;
  let receiver: TestReceiver;
  let webhooks: WebhooksModule;
  const verify = documentedVerifier();

  beforeAll(async () => {
    api = await startTestApi({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
    receiver = await startReceiver();
    webhooks = webhooksModule(api);
  });
  afterAll(async () => {
    await receiver.close();
    await api.close();
  });

  it('When a delivery arrives, then the snippet accepts it; a tampered body, another secret, or a timestamp outside 5 minutes is refused', async () => {
    const { id, secret } = await webhooks.subscriptions.create(OPERATOR, { url: receiver.url, events: ['order.paid'] });
    const eventId = await recordTestEvent(api);
    await webhooks.delivery.plan({ id: eventId });
    expect(await webhooks.delivery.attempt({ eventId, subscriptionId: id })).toEqual({ outcome: 'succeeded' });
    const [got] = receiver.received;
    const body = got?.body ?? '';
    const header = got?.headers['x-nexus-signature'] as string;
    const t = Number(/^t=(\d+),/.exec(header)?.[1]);

    expect(verify(body, header, secret)).toBe(true);
    expect(verify(Buffer.from(body), header, secret)).toBe(true);
    expect(verify(body.replace('"paid"', '"refunded"'), header, secret)).toBe(false);
    expect(verify(`${body} `, header, secret)).toBe(false);
    expect(verify(body, header, `${secret}x`)).toBe(false);
    expect(verify(body, undefined, secret)).toBe(false);
    expect(verify(body, header.replace(/v1=[0-9a-f]+/, 'v1=zz'), secret)).toBe(false);
    // The tolerance window, both ways.
    expect(verify(body, header, secret, t + 299)).toBe(true);
    expect(verify(body, header, secret, t + 301)).toBe(false);
    expect(verify(body, header, secret, t - 301)).toBe(false);
    // A replayed capture re-stamped with a fresh time no longer matches its signature.
    expect(verify(body, header.replace(`t=${t}`, `t=${t + 600}`), secret, t + 600)).toBe(false);
    // A request signed now (as nexus would) passes; a second v1 entry (a rotation) is accepted too.
    const now = Math.floor(Date.now() / 1000);
    expect(verify(body, signPayload(secret, body, now), secret, now)).toBe(true);
    expect(verify(body, `${signPayload('whsec_old', body, now)},v1=${signPayload(secret, body, now).split('v1=')[1]}`, secret, now)).toBe(true);
  });
});
