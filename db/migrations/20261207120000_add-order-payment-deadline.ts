import type { Knex } from 'knex';

/** The default ORDER_PAYMENT_TIMEOUT: pending orders placed before this release get that long from now. */
const GRACE_SECONDS = 1800;
const CANCEL_REASONS = ['customer', 'staff', 'payment_timeout'];

/**
 * An unpaid order's stock is a reservation with a deadline (`payment_due_at`); past it the order is cancelled
 * with `cancel_reason = 'payment_timeout'`. Every cancelled order records why it was cancelled.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('orders', (table) => {
    table.timestamp('payment_due_at', { useTz: true });
    table.string('cancel_reason', 20);
  });
  await knex.raw(`ALTER TABLE orders ADD CONSTRAINT orders_cancel_reason_valid CHECK (cancel_reason IN (${CANCEL_REASONS.map((r) => `'${r}'`).join(', ')}))`);
  // Orders already waiting for payment get the default time from the upgrade on, so none expires at once.
  await knex.raw(`UPDATE orders SET payment_due_at = now() + make_interval(secs => ${GRACE_SECONDS}) WHERE status = 'pending'`);
  // Orders cancelled before this release: the actor of the cancelling event says who did it.
  await knex.raw(`
    UPDATE orders o SET cancel_reason = CASE e.actor_role WHEN 'staff' THEN 'staff' ELSE 'customer' END
    FROM order_events e
    WHERE e.order_id = o.id AND e.to_status = 'cancelled' AND o.status = 'cancelled'`);
  // What the expiry sweep and the per-customer unpaid count read: pending orders only, a small index.
  await knex.raw("CREATE INDEX orders_pending_due_index ON orders (payment_due_at) WHERE status = 'pending'");
  await knex.raw("CREATE INDEX orders_pending_user_index ON orders (user_id) WHERE status = 'pending'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS orders_pending_user_index');
  await knex.raw('DROP INDEX IF EXISTS orders_pending_due_index');
  await knex.raw('ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_cancel_reason_valid');
  await knex.schema.alterTable('orders', (table) => {
    table.dropColumn('cancel_reason');
    table.dropColumn('payment_due_at');
  });
}
