import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('categories', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.string('name', 255).notNullable();
    table.string('slug', 255).notNullable().unique();
    table.text('description').notNullable().defaultTo('');
    // Deleting a parent with children is refused by the API; RESTRICT makes the database agree.
    table.bigInteger('parent_id').references('id').inTable('categories').onDelete('RESTRICT');
    // Active products in this category, kept exact by the products triggers (see the products migration).
    table.integer('products_count').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['parent_id'], 'categories_parent_id_index');
  });
  await knex.raw('CREATE UNIQUE INDEX categories_name_lower_unique ON categories (lower(name))');
  await knex.raw("ALTER TABLE categories ADD CONSTRAINT categories_name_not_blank CHECK (btrim(name) <> '')");
  await knex.raw("ALTER TABLE categories ADD CONSTRAINT categories_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')");
  await knex.raw('ALTER TABLE categories ADD CONSTRAINT categories_not_own_parent CHECK (parent_id IS NULL OR parent_id <> id)');
  await knex.raw('ALTER TABLE categories ADD CONSTRAINT categories_products_count_not_negative CHECK (products_count >= 0)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('categories');
}
