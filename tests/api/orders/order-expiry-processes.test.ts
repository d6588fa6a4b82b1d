import { randomBytes } from 'node:crypto';
import { hasRedis } from '../../support/api';
import { startApiDeployment, type ApiDeployment } from '../../support/api-process';
import { describeWith, waitFor } from '../../support/components';
import { STRONG_PASSWORD } from '../../support/users';

const CUSTOMERS = 12;
const ORDERS_EACH = 3;
const QUANTITY = 5;
const STOCK = 1000;
const TIMEOUT_SECONDS = 4;

/**
 * Every API process sweeps for orders past their payment deadline. With two processes sweeping the same
 * database at once, each overdue order is cancelled by exactly one of them and its stock returned once.
 */
describeWith('Redis', hasRedis, 'order expiry across two API processes', () => {
  let deployment: ApiDeployment;
  let database: ApiDeployment['database'];
  let processes: ApiDeployment['processes'] = [];

  beforeAll(async () => {
    deployment = await startApiDeployment(2, {
      LOG_LEVEL: 'info',
      RATE_LIMIT_ENABLED: 'false',
      ORDER_PAYMENT_TIMEOUT: String(TIMEOUT_SECONDS),
      ORDER_EXPIRY_INTERVAL: '1',
    });
    ({ database, processes } = deployment);
  }, 60_000);

  afterAll(() => deployment?.stop(), 30_000);

  async function post(index: number, path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${processes[index % 2]?.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('When 36 unpaid orders pass their deadline, then the two processes cancel each exactly once, within seconds, and the stock is whole again', async () => {
    const [category] = await database.db('categories').insert({ name: 'Drop', slug: 'drop' }).returning<{ id: number }[]>('id');
    const [{ id: productId }] = (await database
      .db('products')
      .insert({ title: 'Sneaker drop', slug: 'sneaker-drop', price: '99.00', stock_quantity: STOCK, category_id: category?.id, is_active: true })
      .returning<{ id: number }[]>('id')) as [{ id: number }];
    const tokens = await Promise.all(
      Array.from({ length: CUSTOMERS }, async (_, index) => {
        const email = `buyer-${index}-${randomBytes(3).toString('hex')}@example.com`;
        const registered = await post(index, '/api/v1/auth/register/', { email, username: email.split('@')[0], password: STRONG_PASSWORD, password_confirm: STRONG_PASSWORD });
        expect(registered.status).toBe(201);
        return registered.body.access as string;
      }),
    );
    const placed = await Promise.all(
      tokens.flatMap((token, customer) =>
        Array.from({ length: ORDERS_EACH }, (_, index) => post(customer + index, '/api/v1/orders/', { items: [{ product_id: productId, quantity: QUANTITY }] }, token)),
      ),
    );
    expect(placed.map((answer) => answer.status)).toEqual(Array<number>(CUSTOMERS * ORDERS_EACH).fill(201));
    // Read in one statement (one snapshot), however far the sweeps have got: the stock missing is exactly
    // what the orders still pending hold, never more (released twice) nor less (held by an expired order).
    const snapshot = async () => {
      const { rows } = await database.db.raw<{ rows: { stock: number; pending: number }[] }>(
        "SELECT (SELECT stock_quantity FROM products WHERE id = ?) AS stock, (SELECT count(*) FROM orders WHERE status = 'pending')::int AS pending",
        [productId],
      );
      const [row] = rows;
      expect(row && row.stock + row.pending * QUANTITY).toBe(STOCK);
      return row as { stock: number; pending: number };
    };
    expect((await snapshot()).pending).toBeGreaterThan(0);
    await waitFor('every order to expire', async () => (await snapshot()).pending === 0, (TIMEOUT_SECONDS + 30) * 1000);
    expect((await snapshot()).stock).toBe(STOCK);
    const cancels = await database
      .db('order_events as e')
      .join('orders as o', 'o.id', 'e.order_id')
      .where({ 'e.to_status': 'cancelled' })
      .select<{ order_id: number; actor_role: string; late: number }[]>('e.order_id', 'e.actor_role', database.db.raw('extract(epoch from e.created_at - o.payment_due_at) AS late'));
    expect(cancels).toHaveLength(CUSTOMERS * ORDERS_EACH);
    expect(new Set(cancels.map((cancel) => cancel.order_id)).size).toBe(CUSTOMERS * ORDERS_EACH);
    expect(cancels.every((cancel) => cancel.actor_role === 'system')).toBe(true);
    // Released within 30 s of the deadline is the promise (with a 1 s interval it is a second or two).
    expect(Math.max(...cancels.map((cancel) => Number(cancel.late)))).toBeLessThan(30);
    expect(await database.db('orders').where({ cancel_reason: 'payment_timeout' }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: CUSTOMERS * ORDERS_EACH }]);
    // What each process says it expired adds up to the orders: none was counted (or released) by both.
    const expiredBy = processes.map(({ stdout }) =>
      stdout()
        .split('\n')
        .filter((line) => line.includes('"expired"'))
        .reduce((sum, line) => sum + (JSON.parse(line) as { expired: number }).expired, 0),
    );
    expect(expiredBy.reduce((sum, count) => sum + count, 0)).toBe(CUSTOMERS * ORDERS_EACH);
  }, 60_000);
});
