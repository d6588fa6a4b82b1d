import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.string('email', 254).notNullable();
    table.string('username', 150).notNullable();
    table.text('password_hash').notNullable();
    table.string('first_name', 150).notNullable().defaultTo('');
    table.string('last_name', 150).notNullable().defaultTo('');
    table.boolean('is_active').notNullable().defaultTo(true);
    table.boolean('is_staff').notNullable().defaultTo(false);
    table.boolean('is_superuser').notNullable().defaultTo(false);
    table.timestamp('date_joined', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('last_login', { useTz: true });
    table.timestamp('password_changed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // Emails and usernames are unique whatever their case: "A@x.com" and "a@x.com" are one account.
  await knex.raw('CREATE UNIQUE INDEX users_email_lower_unique ON users (lower(email))');
  await knex.raw('CREATE UNIQUE INDEX users_username_lower_unique ON users (lower(username))');
  await knex.raw("ALTER TABLE users ADD CONSTRAINT users_email_not_blank CHECK (btrim(email) <> '')");
  await knex.raw("ALTER TABLE users ADD CONSTRAINT users_username_not_blank CHECK (btrim(username) <> '')");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
