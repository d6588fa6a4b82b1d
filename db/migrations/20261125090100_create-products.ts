import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('products', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.string('title', 255).notNullable();
    table.string('slug', 255).notNullable().unique();
    table.text('description').notNullable().defaultTo('');
    table.decimal('price', 10, 2).notNullable();
    table.integer('stock_quantity').notNullable().defaultTo(0);
    // A product's category cannot disappear under it: deleting a category with products is refused.
    table.bigInteger('category_id').notNullable().references('id').inTable('categories').onDelete('RESTRICT');
    // A path under the media root ("products/ab12….png") or an absolute http(s) URL.
    table.string('image', 500);
    table.boolean('is_active').notNullable().defaultTo(true);
    // Maintained by the reviews area in the same transaction as each review change.
    table.decimal('average_rating', 3, 2).notNullable().defaultTo(0);
    table.integer('reviews_count').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('ALTER TABLE products ADD CONSTRAINT products_price_positive CHECK (price > 0)');
  await knex.raw('ALTER TABLE products ADD CONSTRAINT products_stock_not_negative CHECK (stock_quantity >= 0)');
  await knex.raw("ALTER TABLE products ADD CONSTRAINT products_title_not_blank CHECK (btrim(title) <> '')");
  await knex.raw("ALTER TABLE products ADD CONSTRAINT products_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')");
  await knex.raw('ALTER TABLE products ADD CONSTRAINT products_rating_range CHECK (average_rating BETWEEN 0 AND 5)');
  await knex.raw('ALTER TABLE products ADD CONSTRAINT products_reviews_count_not_negative CHECK (reviews_count >= 0)');

  // Public listings only ever read active products, so their indexes cover only those rows.
  await knex.raw('CREATE INDEX products_active_created_index ON products (created_at, id) WHERE is_active');
  await knex.raw('CREATE INDEX products_active_category_created_index ON products (category_id, created_at, id) WHERE is_active');
  await knex.raw('CREATE INDEX products_active_price_index ON products (price, id) WHERE is_active');
  await knex.raw('CREATE INDEX products_active_title_index ON products (title, id) WHERE is_active');
  await knex.raw('CREATE INDEX products_active_rating_index ON products (average_rating, id) WHERE is_active');
  await knex.raw('CREATE INDEX products_category_id_index ON products (category_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('products');
}
