import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('carts', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    // One cart per user, enforced here (the old schema allowed several, which broke every cart endpoint).
    table.bigInteger('user_id').notNullable().unique().references('id').inTable('users').onDelete('CASCADE');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('cart_items', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('cart_id').notNullable().references('id').inTable('carts').onDelete('CASCADE');
    // A deleted product leaves the carts it was in; orders keep their own snapshot.
    table.bigInteger('product_id').notNullable().references('id').inTable('products').onDelete('CASCADE');
    table.integer('quantity').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // One line per product: adding again merges quantities (ON CONFLICT … DO UPDATE).
    table.unique(['cart_id', 'product_id'], { indexName: 'cart_items_cart_product_unique' });
    table.index(['product_id'], 'cart_items_product_id_index');
  });
  await knex.raw('ALTER TABLE cart_items ADD CONSTRAINT cart_items_quantity_positive CHECK (quantity > 0)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('cart_items');
  await knex.schema.dropTable('carts');
}
