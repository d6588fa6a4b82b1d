import type { Knex } from 'knex';

// Responses of POSTs sent with an Idempotency-Key, so that a retry gets the first answer instead of a second order or charge.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.string('scope', 100).notNullable();
    table.string('key', 255).notNullable();
    table.specificType('request_hash', 'char(64)').notNullable();
    table.integer('response_status');
    // Text, not jsonb: a replay must give the first answer's keys in their original order.
    table.text('response_body');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['user_id', 'scope', 'key'], { indexName: 'idempotency_keys_unique' });
    table.index(['created_at'], 'idempotency_keys_created_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
}
