import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('addresses', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.string('first_name', 100).notNullable();
    table.string('last_name', 100).notNullable();
    table.string('address_line_1', 255).notNullable();
    table.string('address_line_2', 255).notNullable().defaultTo('');
    table.string('city', 100).notNullable();
    table.string('postal_code', 20).notNullable();
    table.string('country', 100).notNullable();
    table.string('phone_number', 20).notNullable();
    table.boolean('is_default').notNullable().defaultTo(false);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['user_id'], 'addresses_user_id_index');
  });
  // At most one default address per user, enforced by the schema rather than by application code.
  await knex.raw('CREATE UNIQUE INDEX addresses_one_default_per_user ON addresses (user_id) WHERE is_default');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('addresses');
}
