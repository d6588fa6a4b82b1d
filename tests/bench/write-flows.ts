import { randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createDatabase, type Knex } from '../../db/connection';
import { median } from './measure';

/**
 * Add-to-cart and checkout under load: what changes stock and money. There is no bare-node ceiling for a
 * write (the work is the database's), so these are reported as operations per second and latencies, one
 * shopper alone and 16 at once. Each shopper is a bench user with a signed access token (no login: the
 * login rate limit would get in the way); the products used get a huge stock for the run and their own
 * stock back afterwards, and the orders and carts the run made are deleted.
 */

export const SHOPPERS = 16;
const BENCH_STOCK = 1_000_000_000;

export interface WriteFlowResult {
  name: string;
  shoppers: number;
  operationsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  operations: number;
  /** Statuses other than the expected one, e.g. `{"409": 3}`. */
  unexpected: Record<string, number>;
}

interface Shopper {
  userId: number;
  token: string;
  productId: number;
}

interface Flow {
  name: string;
  shoppers: number;
  expectedStatus: number;
  request: (shopper: Shopper, hotProductId: number) => { path: string; body: unknown };
}

export const WRITE_FLOWS: Flow[] = [
  { name: 'add to cart', shoppers: 1, expectedStatus: 201, request: (s) => ({ path: '/cart/add/', body: { product_id: s.productId, quantity: 1 } }) },
  { name: 'add to cart', shoppers: SHOPPERS, expectedStatus: 201, request: (s) => ({ path: '/cart/add/', body: { product_id: s.productId, quantity: 1 } }) },
  { name: 'checkout', shoppers: 1, expectedStatus: 201, request: (s) => ({ path: '/orders/', body: { items: [{ product_id: s.productId, quantity: 1 }] } }) },
  { name: 'checkout', shoppers: SHOPPERS, expectedStatus: 201, request: (s) => ({ path: '/orders/', body: { items: [{ product_id: s.productId, quantity: 1 }] } }) },
  { name: 'checkout, one hot product', shoppers: SHOPPERS, expectedStatus: 201, request: (_s, hot) => ({ path: '/orders/', body: { items: [{ product_id: hot, quantity: 1 }] } }) },
];

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * fraction) - 1)] as number;
}

/** Each shopper sends its next request when the last is answered; shopper i uses API URL i mod n. */
async function runFlow(urls: string[], flow: Flow, shoppers: Shopper[], seconds: number): Promise<{ latencies: number[]; unexpected: Record<string, number> }> {
  const latencies: number[] = [];
  const unexpected: Record<string, number> = {};
  const until = performance.now() + seconds * 1000;
  const hot = (shoppers[0] as Shopper).productId;
  await Promise.all(
    shoppers.slice(0, flow.shoppers).map(async (shopper, index) => {
      const apiUrl = urls[index % urls.length] as string;
      while (performance.now() < until) {
        const { path, body } = flow.request(shopper, hot);
        const started = performance.now();
        const response = await fetch(`${apiUrl}/api/v1${path}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${shopper.token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        }).catch(() => undefined);
        await response?.arrayBuffer();
        latencies.push(performance.now() - started);
        const status = response ? String(response.status) : 'network error';
        if (response?.status !== flow.expectedStatus) unexpected[status] = (unexpected[status] ?? 0) + 1;
      }
    }),
  );
  return { latencies, unexpected };
}

async function prepareShoppers(db: Knex, secret: string): Promise<{ shoppers: Shopper[]; stock: Map<number, number> }> {
  const products = await db('products').where({ is_active: true }).orderBy('id', 'desc').limit(SHOPPERS).select<{ id: number; stock_quantity: number }[]>('id', 'stock_quantity');
  if (products.length < SHOPPERS) throw new Error(`the write flows need ${SHOPPERS} active products`);
  const stock = new Map(products.map((product) => [product.id, product.stock_quantity]));
  await db('products').whereIn('id', [...stock.keys()]).update({ stock_quantity: BENCH_STOCK });
  const shoppers: Shopper[] = [];
  for (const [index, product] of products.entries()) {
    const email = `bench-shopper-${index}@bench.invalid`;
    const existing = await db('users').where({ email }).first<{ id: number } | undefined>('id');
    // '!' is Django's unusable password: these accounts cannot log in.
    const id = existing?.id ?? (await db('users').insert({ email, username: `bench-shopper-${index}`, password_hash: '!' }).returning<{ id: number }[]>('id'))[0]?.id;
    if (id === undefined) throw new Error(`could not create ${email}`);
    const now = Math.floor(Date.now() / 1000);
    const claims = { token_type: 'access', user_id: id, sid: randomUUID(), jti: randomBytes(16).toString('hex'), iat: now, exp: now + 3600 };
    shoppers.push({ userId: id, token: jwt.sign(claims, secret, { algorithm: 'HS256' }), productId: product.id });
  }
  return { shoppers, stock };
}

async function forgetWrites(db: Knex, shoppers: Shopper[]): Promise<void> {
  const ids = shoppers.map((shopper) => shopper.userId);
  await db('orders').whereIn('user_id', ids).delete();
  await db('carts').whereIn('user_id', ids).delete();
}

/**
 * Runs every write flow against the API at `apiUrl` (which must verify tokens with `secret` and allow a
 * cart line of at least BENCH_STOCK… in practice a large CART_MAX_QUANTITY), warm-up first, then measured.
 */
export async function measureWriteFlows(
  apiUrl: string,
  databaseUrl: string,
  secret: string,
  settings: { durationSeconds: number; warmupSeconds: number; only?: string },
  log: (line: string) => void,
): Promise<WriteFlowResult[]> {
  const flows = WRITE_FLOWS.filter((flow) => !settings.only || flow.name.includes(settings.only));
  if (flows.length === 0) return [];
  const db = createDatabase({ url: databaseUrl, applicationName: 'nexus-bench-writes' });
  const { shoppers, stock } = await prepareShoppers(db, secret);
  const results: WriteFlowResult[] = [];
  try {
    for (const flow of flows) {
      await forgetWrites(db, shoppers);
      if (settings.warmupSeconds > 0) await runFlow([apiUrl], flow, shoppers, settings.warmupSeconds);
      const { latencies, unexpected } = await runFlow([apiUrl], flow, shoppers, settings.durationSeconds);
      const sorted = latencies.sort((a, b) => a - b);
      const result: WriteFlowResult = {
        name: flow.name,
        shoppers: flow.shoppers,
        operationsPerSecond: latencies.length / settings.durationSeconds,
        latencyP50Ms: median(sorted),
        latencyP99Ms: percentile(sorted, 0.99),
        operations: latencies.length,
        unexpected,
      };
      results.push(result);
      log(`${flow.name}, ${flow.shoppers} shopper(s): ${result.operationsPerSecond.toFixed(0)} ops/s, p50 ${result.latencyP50Ms.toFixed(1)} ms, p99 ${result.latencyP99Ms.toFixed(1)} ms`);
    }
  } finally {
    await forgetWrites(db, shoppers);
    for (const [id, quantity] of stock) await db('products').where({ id }).update({ stock_quantity: quantity });
    await db.destroy();
  }
  return results;
}

export interface SoakWrites {
  flow: string;
  shoppers: number;
  operations: number;
  /** Statuses other than 201, e.g. `{"409": 3}`. */
  unexpected: Record<string, number>;
}

/**
 * The writes of the soak: the checkout flow's 16 shoppers spread over every API process for `seconds`, next to
 * the reads; their orders and carts are deleted and the stock put back afterwards.
 */
export async function soakWrites(apiUrls: string[], databaseUrl: string, secret: string, seconds: number): Promise<SoakWrites> {
  const flow = WRITE_FLOWS.find((candidate) => candidate.name === 'checkout' && candidate.shoppers === SHOPPERS) as Flow;
  const db = createDatabase({ url: databaseUrl, applicationName: 'nexus-bench-soak' });
  const { shoppers, stock } = await prepareShoppers(db, secret);
  try {
    await forgetWrites(db, shoppers);
    const { latencies, unexpected } = await runFlow(apiUrls, flow, shoppers, seconds);
    return { flow: flow.name, shoppers: flow.shoppers, operations: latencies.length, unexpected };
  } finally {
    await forgetWrites(db, shoppers);
    for (const [id, quantity] of stock) await db('products').where({ id }).update({ stock_quantity: quantity });
    await db.destroy();
  }
}
