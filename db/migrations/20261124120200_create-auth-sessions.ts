import type { Knex } from 'knex';

// A session is one login: the family of refresh tokens that rotation derives from it. Revoking the
// session revokes every token of the family, which is what reuse detection and logout rely on.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('auth_sessions', (table) => {
    table.uuid('id').primary();
    table.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('last_refreshed_at', { useTz: true });
    table.timestamp('revoked_at', { useTz: true });
    table.string('revoked_reason', 32);
    table.string('user_agent', 512);
    table.string('ip_address', 64);
    table.index(['user_id'], 'auth_sessions_user_id_index');
  });
  await knex.schema.createTable('refresh_tokens', (table) => {
    table.uuid('jti').primary();
    table.uuid('session_id').notNullable().references('id').inTable('auth_sessions').onDelete('CASCADE');
    table.timestamp('issued_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('rotated_at', { useTz: true });
    table.index(['session_id'], 'refresh_tokens_session_id_index');
    table.index(['expires_at'], 'refresh_tokens_expires_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('refresh_tokens');
  await knex.schema.dropTable('auth_sessions');
}
