import type { Knex } from 'knex';

// Only a SHA-256 digest of each reset token is stored: a database leak must not allow password resets.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('password_reset_tokens', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.specificType('token_hash', 'char(64)').notNullable().unique();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('used_at', { useTz: true });
    table.index(['user_id'], 'password_reset_tokens_user_id_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('password_reset_tokens');
}
