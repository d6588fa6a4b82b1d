import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApiDeployment, type ApiDeployment } from '../../support/api-process';
import { waitFor } from '../../support/components';
import { startWorkerProcess, type WorkerProcess } from '../../support/worker-process';

/**
 * The worker as production runs it: separate OS processes sharing the database and Redis with an API process.
 * Deliveries are at least once: a worker killed mid-delivery leaves its job to be taken up again (same event
 * id); two workers never deliver one event twice unless an attempt failed.
 */

interface Received {
  eventId: string;
  type: string;
  signature: string;
  body: string;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Answers with this function (default 200 at once). */
  respond: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver = { received: [] as Received[], respond: (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(200).end('ok') } as unknown as Receiver;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      receiver.received.push({ eventId: String(req.headers['x-nexus-event-id']), type: String(req.headers['x-nexus-event-type']), signature: String(req.headers['x-nexus-signature']), body });
      receiver.respond(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

const SETTINGS = {
  WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
  WEBHOOK_TIMEOUT: '2',
  DELIVERY_RETRY_BASE_DELAY: '0.2',
  DELIVERY_RETRY_MAX_DELAY: '1',
  WORKER_POLL_INTERVAL: '100',
  ORDER_MAX_UNPAID: '1000',
  CATALOG_CACHE_TTL: '0',
  LOG_LEVEL: 'info',
};

describe('worker processes', () => {
  let deployment: ApiDeployment;
  let receiver: Receiver;
  let secret: string;
  let api: string;
  let customer: string;
  let productId: number;
  const workers: WorkerProcess[] = [];
  const env = () => ({ ...SETTINGS, NODE_ENV: 'test', DATABASE_URL: deployment.database.url, REDIS_URL: process.env.NEXUS_TEST_REDIS_URL as string, REDIS_KEY_PREFIX: deployment.redisPrefix, JWT_SECRET: jwtSecret, MAIL_TRANSPORT: 'disabled' });
  let jwtSecret: string;

  const call = async (method: string, path: string, token: string | undefined, body?: unknown) => {
    const response = await fetch(`${api}${path}`, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as Record<string, unknown> };
  };
  const register = async (name: string) => {
    const password = 'Velvet-Harbor-Lantern-92';
    const answer = await call('POST', '/api/v1/auth/register/', undefined, { email: `${name}@example.test`, username: name, password, password_confirm: password });
    if (answer.status !== 201) throw new Error(`register ${answer.status} ${JSON.stringify(answer.body)}`);
    return { id: (answer.body.user as { id: number }).id, access: answer.body.access as string };
  };
  const placeOrder = async () => {
    const answer = await call('POST', '/api/v1/orders/', customer, { items: [{ product_id: productId, quantity: 1 }] });
    if (answer.status !== 201) throw new Error(`order ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.id as number;
  };
  const placedEventOf = async (orderId: number): Promise<string> =>
    (await deployment.database.db('events').where({ type: 'order.placed', resource_id: String(orderId) }).first<{ id: string }>('id')).id;
  const deliveryOf = async (eventId: string): Promise<{ status: string; attempts: number } | undefined> =>
    deployment.database.db('webhook_deliveries').where({ event_id: eventId }).first<{ status: string; attempts: number } | undefined>('status', 'attempts');

  beforeAll(async () => {
    receiver = await startReceiver();
    jwtSecret = 'worker-processes-test-signing-key-0123456789-abcdef';
    deployment = await startApiDeployment(1, { ...SETTINGS, JWT_SECRET: jwtSecret });
    api = deployment.processes[0]!.url;
    const staff = await register('hookstaff');
    await deployment.database.db('users').where({ id: staff.id }).update({ is_staff: true });
    customer = (await register('hookbuyer')).access;
    const category = await call('POST', '/api/v1/admin/categories', staff.access, { name: 'Hooks', slug: 'hooks' });
    const product = await call('POST', '/api/v1/admin/products', staff.access, { title: 'Hook', price: '3.00', category: category.body.id, stock_quantity: 1000 });
    productId = product.body.id as number;
    const subscription = await call('POST', '/api/v1/admin/webhooks', staff.access, { url: receiver.url, events: ['order.placed'] });
    expect(subscription.status).toBe(201);
    secret = subscription.body.secret as string;
  }, 120_000);

  afterAll(async () => {
    for (const worker of workers) await worker.stop('SIGKILL');
    await deployment?.stop();
    await receiver?.close();
  });

  it('When two workers run at once, then each of 40 events reaches the receiver exactly once, signed with the subscription secret', async () => {
    workers.push(await startWorkerProcess(env()), await startWorkerProcess(env()));
    const orders = await Promise.all(Array.from({ length: 40 }, () => placeOrder()));
    const eventIds = await Promise.all(orders.map(placedEventOf));
    await waitFor('40 deliveries', async () => new Set(receiver.received.map((item) => item.eventId)).size >= 40, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const received = receiver.received.filter((item) => eventIds.includes(item.eventId));
    expect(received.map((item) => item.eventId).sort()).toEqual([...eventIds].sort());
    for (const item of received) {
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(item.signature) ?? [];
      expect(createHmac('sha256', secret).update(`${t}.${item.body}`).digest('hex')).toBe(v1);
      expect((JSON.parse(item.body) as { id: string; type: string }).id).toBe(item.eventId);
    }
    const handled = workers.map((worker) => worker.logs().filter((line) => line.msg === 'webhook delivery succeeded').length);
    expect(handled.reduce((sum, count) => sum + count, 0)).toBe(40);
    for (const worker of workers.splice(0)) await worker.stop();
  }, 120_000);

  it('When the worker is killed (SIGKILL) in the middle of a delivery and started again, then the event is delivered with the same id and nothing is lost', async () => {
    let hold = true;
    receiver.respond = (_req, res) => {
      // The first attempt hangs until the worker dies; once restarted, answers at once.
      if (hold) return;
      res.writeHead(200).end('ok');
    };
    const first = await startWorkerProcess(env());
    workers.push(first);
    const before = receiver.received.length;
    const orderId = await placeOrder();
    const eventId = await placedEventOf(orderId);
    await waitFor('the first attempt to arrive', async () => receiver.received.length > before, 20_000);
    await first.stop('SIGKILL');
    hold = false;
    // A second order placed while no worker runs waits in the outbox.
    const waitingId = await placedEventOf(await placeOrder());
    workers.push(await startWorkerProcess(env()));
    await waitFor('both events delivered', async () => (await deliveryOf(eventId))?.status === 'succeeded' && (await deliveryOf(waitingId))?.status === 'succeeded', 60_000);
    const ids = receiver.received.slice(before).map((item) => item.eventId);
    expect(ids.filter((id) => id === eventId).length).toBeGreaterThanOrEqual(2);
    expect(ids).toContain(waitingId);
    expect(new Set(ids)).toEqual(new Set([eventId, waitingId]));
  }, 120_000);

  it('When a worker gets SIGTERM during a delivery, then it finishes that delivery before exiting', async () => {
    receiver.respond = (_req, res) => setTimeout(() => res.writeHead(200).end('ok'), 800);
    const worker = workers.at(-1)!;
    const before = receiver.received.length;
    const eventId = await placedEventOf(await placeOrder());
    await waitFor('the attempt to arrive', async () => receiver.received.length > before, 20_000);
    await worker.stop('SIGTERM');
    expect(worker.child.exitCode).toBe(0);
    expect(await deliveryOf(eventId)).toEqual({ status: 'succeeded', attempts: 1 });
  }, 60_000);
});
