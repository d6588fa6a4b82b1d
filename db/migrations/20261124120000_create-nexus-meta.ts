import type { Knex } from 'knex';

// Facts about the database itself (e.g. which environment it serves), read by the CLI before destructive work.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('nexus_meta', (table) => {
    table.string('key', 64).primary();
    table.text('value').notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('nexus_meta');
}
