import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payments', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('order_id').notNullable().references('id').inTable('orders').onDelete('RESTRICT');
    table.decimal('amount', 12, 2).notNullable();
    table.specificType('currency', 'char(3)').notNullable();
    table.string('method', 20).notNullable();
    table.string('provider', 32).notNullable();
    table.string('provider_reference', 100);
    // succeeded | declined | failed | refunded
    table.string('status', 20).notNullable();
    table.string('failure_code', 50);
    table.string('refund_reference', 100);
    table.timestamp('refunded_at', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['order_id'], 'payments_order_id_index');
  });
  await knex.raw("ALTER TABLE payments ADD CONSTRAINT payments_status_valid CHECK (status IN ('succeeded', 'declined', 'failed', 'refunded'))");
  await knex.raw('ALTER TABLE payments ADD CONSTRAINT payments_amount_positive CHECK (amount > 0)');
  // An order is charged at most once, whatever the API does: the database refuses a second successful payment.
  await knex.raw("CREATE UNIQUE INDEX payments_one_charge_per_order ON payments (order_id) WHERE status IN ('succeeded', 'refunded')");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payments');
}
