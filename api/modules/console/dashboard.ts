import type { Knex } from 'knex';

export interface Dashboard {
  currency: string;
  today: { orders: number; revenue: string };
  week: { orders: number; revenue: string };
  waiting: { status: string; count: number; oldest: string }[];
  lowStockThreshold: number;
  lowStock: { id: number; title: string; slug: string; stock_quantity: number }[];
  openReports: number;
  newestCustomers: { id: number; email: string; date_joined: string }[];
}

/** Statuses where the shop has to act next (pay is the customer's move; these are staff's). */
const WAITING = ['paid', 'processing'];

/** The dashboard's figures: read-only queries over the orders, products, reports and users tables. */
export async function loadDashboard(db: Knex, options: { lowStockThreshold: number; currency: string }): Promise<Dashboard> {
  const since = (interval: string) =>
    db('orders')
      .where('created_at', '>=', db.raw(`date_trunc('day', now()) - interval '${interval}'`))
      .first<{ orders: number; revenue: string }>(db.raw('count(*)::int AS orders'), db.raw("coalesce(sum(total_amount) FILTER (WHERE payment_status = 'paid'), 0)::text AS revenue"));
  const [today, week, waiting, lowStock, reports, newestCustomers] = await Promise.all([
    since('0 days'),
    since('6 days'),
    db('orders').whereIn('status', WAITING).groupBy('status').select<{ status: string; count: number; oldest: Date }[]>('status', db.raw('count(*)::int AS count'), db.raw('min(created_at) AS oldest')),
    db('products').where('is_active', true).where('stock_quantity', '<=', options.lowStockThreshold).orderBy([{ column: 'stock_quantity' }, { column: 'id' }]).limit(20).select('id', 'title', 'slug', 'stock_quantity'),
    db('review_reports').where('status', 'open').first<{ count: number }>(db.raw('count(*)::int AS count')),
    db('users').where('is_staff', false).orderBy('id', 'desc').limit(5).select('id', 'email', 'date_joined'),
  ]);
  return {
    currency: options.currency,
    today: { orders: today?.orders ?? 0, revenue: today?.revenue ?? '0' },
    week: { orders: week?.orders ?? 0, revenue: week?.revenue ?? '0' },
    waiting: waiting.map((row) => ({ status: row.status, count: row.count, oldest: new Date(row.oldest).toISOString() })),
    lowStockThreshold: options.lowStockThreshold,
    lowStock: lowStock as Dashboard['lowStock'],
    openReports: reports?.count ?? 0,
    newestCustomers: (newestCustomers as { id: number; email: string; date_joined: Date | string }[]).map((user) => ({ ...user, date_joined: new Date(user.date_joined).toISOString() })),
  };
}
