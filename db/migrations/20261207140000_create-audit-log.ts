import type { Knex } from 'knex';

// Every change staff make (console, staff API routes, `nexus users …`): who, when, what, before and after.
// Append-only: a trigger refuses UPDATE and DELETE, so no caller (nor a bug) can rewrite history. The actor
// is kept by id and by label without a foreign key, because deleting a user must not touch the log.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.bigInteger('actor_id');
    table.string('actor', 254).notNullable();
    table.string('source', 16).notNullable();
    table.string('action', 64).notNullable();
    table.string('resource_type', 32).notNullable();
    table.string('resource_id', 64).notNullable();
    table.jsonb('before');
    table.jsonb('after');
    table.index(['created_at'], 'audit_log_created_index');
    table.index(['resource_type', 'resource_id', 'created_at'], 'audit_log_resource_index');
    table.index(['actor_id', 'created_at'], 'audit_log_actor_index');
  });
  await knex.raw("ALTER TABLE audit_log ADD CONSTRAINT audit_log_source_check CHECK (source IN ('console', 'api', 'cli'))");
  await knex.raw(`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$`);
  await knex.raw('CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log');
  await knex.raw('DROP FUNCTION IF EXISTS audit_log_append_only()');
}
