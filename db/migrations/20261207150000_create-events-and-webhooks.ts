import type { Knex } from 'knex';

// The outbox and what is delivered from it. An event row is written in the same transaction as the change it
// announces, so it exists if and only if that change committed; the worker relays unrelayed rows (by
// sequence) into the queue and marks them. Webhook subscriptions keep their signing secret encrypted (a dump
// alone does not reveal it); each (subscription, event) pair has one delivery row and one row per attempt.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_subscriptions', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.text('url').notNullable();
    table.specificType('events', 'text[]').notNullable();
    table.string('description', 200).notNullable().defaultTo('');
    table.text('secret_ciphertext').notNullable();
    table.boolean('is_active').notNullable().defaultTo(true);
    table.integer('consecutive_failures').notNullable().defaultTo(0);
    table.timestamp('disabled_at', { useTz: true });
    table.string('disabled_reason', 200);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_url_length CHECK (char_length(url) <= 2048)');
  await knex.raw('ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_events_present CHECK (cardinality(events) > 0)');

  await knex.schema.createTable('events', (table) => {
    table.uuid('id', { primaryKey: true }).defaultTo(knex.raw('gen_random_uuid()'));
    table.specificType('sequence', 'bigint GENERATED ALWAYS AS IDENTITY').notNullable().unique();
    table.string('type', 64).notNullable();
    table.string('resource_type', 32).notNullable();
    table.string('resource_id', 64).notNullable();
    // json, not jsonb: the text is kept as written, so a body is signed and delivered byte for byte as recorded.
    table.json('payload').notNullable();
    // A test ping goes to one subscription only; every other event to each subscription that asked for its type.
    table.bigInteger('only_subscription_id').references('id').inTable('webhook_subscriptions').onDelete('CASCADE');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('relayed_at', { useTz: true });
    table.index(['resource_type', 'resource_id', 'sequence'], 'events_resource_index');
    table.index(['type', 'sequence'], 'events_type_index');
  });
  await knex.raw('CREATE INDEX events_unrelayed_index ON events (sequence) WHERE relayed_at IS NULL');

  await knex.schema.createTable('webhook_deliveries', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('subscription_id').notNullable().references('id').inTable('webhook_subscriptions').onDelete('CASCADE');
    table.uuid('event_id').notNullable().references('id').inTable('events').onDelete('CASCADE');
    table.string('status', 16).notNullable().defaultTo('pending');
    table.integer('attempts').notNullable().defaultTo(0);
    table.integer('last_status_code');
    table.string('last_error', 500);
    table.integer('last_latency_ms');
    table.timestamp('first_attempt_at', { useTz: true });
    table.timestamp('next_attempt_at', { useTz: true });
    table.timestamp('completed_at', { useTz: true });
    // Set by a replay (staff API, console, CLI); the worker's relay queues the delivery again and clears it.
    table.timestamp('replay_requested_at', { useTz: true });
    // A lease, not a row lock held across the HTTP call: the worker that sets it owns the attempt until it
    // records the outcome (or the lease runs out, should that worker die), so a duplicate job is skipped.
    table.timestamp('locked_until', { useTz: true });
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['subscription_id', 'event_id']);
    table.index(['subscription_id', 'id'], 'webhook_deliveries_subscription_index');
    table.index(['status', 'updated_at'], 'webhook_deliveries_status_index');
  });
  await knex.raw('CREATE INDEX webhook_deliveries_replay_index ON webhook_deliveries (replay_requested_at) WHERE replay_requested_at IS NOT NULL');
  await knex.raw(
    "ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'retrying', 'succeeded', 'failed', 'cancelled'))",
  );

  await knex.schema.createTable('webhook_attempts', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('delivery_id').notNullable().references('id').inTable('webhook_deliveries').onDelete('CASCADE');
    table.integer('attempt').notNullable();
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.integer('status_code');
    table.string('error', 500);
    table.integer('latency_ms').notNullable();
    table.string('response_excerpt', 1024);
    table.string('outcome', 16).notNullable();
    table.index(['delivery_id', 'id'], 'webhook_attempts_delivery_index');
  });

  // Each running worker says it is alive here every few seconds: health and `nexus status` read it.
  await knex.schema.createTable('worker_heartbeats', (table) => {
    table.string('id', 64).primary();
    table.string('hostname', 255).notNullable();
    table.integer('pid').notNullable();
    table.string('version', 32).notNullable();
    table.string('queue', 16).notNullable();
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('seen_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('mail_deliveries', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.uuid('event_id').notNullable().references('id').inTable('events').onDelete('CASCADE');
    table.string('template', 64).notNullable();
    table.string('recipient', 254).notNullable();
    table.string('status', 16).notNullable().defaultTo('pending');
    table.integer('attempts').notNullable().defaultTo(0);
    table.string('last_error', 500);
    table.string('message_id', 255);
    table.timestamp('sent_at', { useTz: true });
    // A lease like webhook_deliveries.locked_until: the attempt that sets it owns the SMTP exchange until it
    // records the outcome (or the lease runs out, should its worker die), so a duplicate job does not send twice.
    table.timestamp('locked_until', { useTz: true });
    // Written by the first attempt: the retry window starts here.
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['event_id', 'template']);
  });
  await knex.raw("ALTER TABLE mail_deliveries ADD CONSTRAINT mail_deliveries_status_check CHECK (status IN ('pending', 'retrying', 'sent', 'failed'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mail_deliveries');
  await knex.schema.dropTable('worker_heartbeats');
  await knex.schema.dropTable('webhook_attempts');
  await knex.schema.dropTable('webhook_deliveries');
  await knex.schema.dropTable('events');
  await knex.schema.dropTable('webhook_subscriptions');
}
