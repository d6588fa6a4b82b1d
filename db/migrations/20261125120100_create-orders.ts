import type { Knex } from 'knex';

const STATUSES = ['pending', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'failed'];
const PAYMENT_STATUSES = ['unpaid', 'paid', 'refunded'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('orders', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    // Orders outlive their customer's account: the email is kept, the link is cleared.
    table.bigInteger('user_id').references('id').inTable('users').onDelete('SET NULL');
    table.string('user_email', 254).notNullable();
    table.string('status', 20).notNullable().defaultTo('pending');
    table.string('payment_status', 20).notNullable().defaultTo('unpaid');
    table.decimal('total_amount', 12, 2).notNullable();
    table.specificType('currency', 'char(3)').notNullable();
    table.jsonb('shipping_address');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['user_id', 'created_at'], 'orders_user_created_index');
    table.index(['status', 'created_at'], 'orders_status_created_index');
    table.index(['created_at'], 'orders_created_index');
  });
  await knex.raw(`ALTER TABLE orders ADD CONSTRAINT orders_status_valid CHECK (status IN (${STATUSES.map((s) => `'${s}'`).join(', ')}))`);
  await knex.raw(`ALTER TABLE orders ADD CONSTRAINT orders_payment_status_valid CHECK (payment_status IN (${PAYMENT_STATUSES.map((s) => `'${s}'`).join(', ')}))`);
  await knex.raw('ALTER TABLE orders ADD CONSTRAINT orders_total_not_negative CHECK (total_amount >= 0)');

  await knex.schema.createTable('order_items', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('order_id').notNullable().references('id').inTable('orders').onDelete('CASCADE');
    // Snapshot of the product at order time; deleting the product later clears only the link.
    table.bigInteger('product_id').references('id').inTable('products').onDelete('SET NULL');
    table.string('product_title', 255).notNullable();
    table.string('product_slug', 255).notNullable();
    table.decimal('unit_price', 10, 2).notNullable();
    table.integer('quantity').notNullable();
    table.decimal('subtotal', 12, 2).notNullable();
    table.index(['order_id'], 'order_items_order_id_index');
    table.index(['product_id'], 'order_items_product_id_index');
  });
  await knex.raw('ALTER TABLE order_items ADD CONSTRAINT order_items_quantity_positive CHECK (quantity > 0)');
  await knex.raw('ALTER TABLE order_items ADD CONSTRAINT order_items_unit_price_positive CHECK (unit_price > 0)');

  await knex.schema.createTable('order_events', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('order_id').notNullable().references('id').inTable('orders').onDelete('CASCADE');
    table.string('from_status', 20);
    table.string('to_status', 20).notNullable();
    table.bigInteger('actor_id').references('id').inTable('users').onDelete('SET NULL');
    table.string('actor_role', 20).notNullable();
    table.text('note').notNullable().defaultTo('');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['order_id', 'id'], 'order_events_order_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('order_events');
  await knex.schema.dropTable('order_items');
  await knex.schema.dropTable('orders');
}
