import type { Knex } from 'knex';

// Failed logins and lock-outs, per target account: what an operator reads to see an account under attack
// (the per-account login throttle writes it; successful logins are not recorded here).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('login_audit', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    // The account the email named, or null for an email with no account (and after the account is deleted).
    table.bigInteger('user_id').references('id').inTable('users').onDelete('SET NULL');
    // The address as tried (lower-cased): unknown emails are audited too, and it names the target once the account is gone.
    table.string('email', 254).notNullable();
    table.string('client_ip', 64);
    table.string('outcome', 32).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['user_id', 'created_at'], 'login_audit_user_index');
    table.index(['email', 'created_at'], 'login_audit_email_index');
    table.index(['created_at'], 'login_audit_created_index');
  });
  await knex.raw(
    "ALTER TABLE login_audit ADD CONSTRAINT login_audit_outcome_check CHECK (outcome IN ('bad_credentials', 'locked', 'refused_while_locked'))",
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('login_audit');
}
