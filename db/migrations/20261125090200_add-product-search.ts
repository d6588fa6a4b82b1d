import type { Knex } from 'knex';

// Full-text search: a generated tsvector (title weighted above description) with a GIN index.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
      setweight(to_tsvector('english', coalesce(description, '')), 'B')
    ) STORED`);
  await knex.raw('CREATE INDEX products_search_vector_index ON products USING gin (search_vector)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX products_search_vector_index');
  await knex.schema.alterTable('products', (table) => table.dropColumn('search_vector'));
}
