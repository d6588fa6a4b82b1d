import type { Knex } from 'knex';

export const REPORT_REASONS = ['inappropriate_content', 'spam', 'fake_review', 'offensive_language', 'other'];
const RATINGS = [1, 2, 3, 4, 5];

/**
 * The products' rating columns (`rating_counts`, `reviews_count`, `average_rating`) follow the visible reviews
 * through statement-level triggers with transition tables: every statement that inserts, changes or deletes
 * reviews (an API write, a seeding batch of thousands, a cascade from a deleted user) applies its net change
 * per product and rating in one UPDATE, in the same transaction. Concurrent writers serialise on the product
 * row, and each adds its delta to the row as it finds it, so the counts stay exact without re-aggregating.
 */
function applyDelta(delta: string): string {
  const sums = RATINGS.map((r) => `COALESCE(sum(n) FILTER (WHERE rating = ${r}), 0)::int AS c${r}`).join(', ');
  const counts = RATINGS.map((r) => `p.rating_counts[${r}] + d.c${r}`);
  const total = `(${counts.join(' + ')})`;
  const weighted = counts.map((count, index) => `(${count}) * ${index + 1}`).join(' + ');
  return `
    UPDATE products AS p
       SET rating_counts = ARRAY[${counts.join(', ')}],
           reviews_count = ${total},
           average_rating = COALESCE(round((${weighted})::numeric / NULLIF(${total}, 0), 2), 0)
      FROM (SELECT product_id, ${sums} FROM (${delta}) AS delta GROUP BY product_id) AS d
     WHERE p.id = d.product_id AND (${RATINGS.map((r) => `d.c${r}`).join(', ')}) <> (0, 0, 0, 0, 0)`;
}

const ADDED = 'SELECT product_id, rating, 1 AS n FROM new_reviews WHERE NOT is_hidden';
const REMOVED = 'SELECT product_id, rating, -1 AS n FROM old_reviews WHERE NOT is_hidden';

const VOTE_TRIGGERS = [
  { op: 'INSERT', table: 'new_votes', sign: '+' },
  { op: 'DELETE', table: 'old_votes', sign: '-' },
];

const TRIGGERS = [
  { op: 'INSERT', tables: 'NEW TABLE AS new_reviews', delta: ADDED },
  { op: 'UPDATE', tables: 'OLD TABLE AS old_reviews NEW TABLE AS new_reviews', delta: `${ADDED} UNION ALL ${REMOVED}` },
  { op: 'DELETE', tables: 'OLD TABLE AS old_reviews', delta: REMOVED },
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw("ALTER TABLE products ADD COLUMN rating_counts integer[] NOT NULL DEFAULT '{0,0,0,0,0}'");
  await knex.raw('ALTER TABLE products ADD CONSTRAINT products_rating_counts_five CHECK (array_length(rating_counts, 1) = 5)');

  await knex.schema.createTable('reviews', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.bigInteger('product_id').notNullable().references('id').inTable('products').onDelete('CASCADE');
    table.smallint('rating').notNullable();
    table.text('comment').notNullable().defaultTo('');
    table.boolean('verified_purchase').notNullable().defaultTo(false);
    table.integer('helpful_count').notNullable().defaultTo(0);
    table.boolean('is_hidden').notNullable().defaultTo(false);
    table.timestamp('hidden_at', { useTz: true });
    table.bigInteger('hidden_by').references('id').inTable('users').onDelete('SET NULL');
    table.text('hidden_reason').notNullable().defaultTo('');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // One review per user and product: a concurrent duplicate fails here, and the API turns that into its 400.
    table.unique(['user_id', 'product_id'], { indexName: 'reviews_user_product_unique' });
    table.index(['user_id', 'created_at'], 'reviews_user_created_index');
    table.index(['created_at'], 'reviews_created_index');
  });
  await knex.raw('ALTER TABLE reviews ADD CONSTRAINT reviews_rating_range CHECK (rating BETWEEN 1 AND 5)');
  await knex.raw('ALTER TABLE reviews ADD CONSTRAINT reviews_comment_length CHECK (char_length(comment) <= 10000)');
  await knex.raw('ALTER TABLE reviews ADD CONSTRAINT reviews_helpful_not_negative CHECK (helpful_count >= 0)');
  // The product's public list and stats read only visible reviews, newest first.
  await knex.raw('CREATE INDEX reviews_product_visible_index ON reviews (product_id, created_at DESC, id DESC) WHERE NOT is_hidden');

  await knex.schema.createTable('review_votes', (table) => {
    table.bigInteger('review_id').notNullable().references('id').inTable('reviews').onDelete('CASCADE');
    table.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['review_id', 'user_id']);
    table.index(['user_id'], 'review_votes_user_index');
  });

  await knex.schema.createTable('review_reports', (table) => {
    table.bigIncrements('id', { primaryKey: true });
    table.bigInteger('review_id').notNullable().references('id').inTable('reviews').onDelete('CASCADE');
    table.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.string('reason', 30).notNullable();
    table.text('description').notNullable().defaultTo('');
    table.string('status', 20).notNullable().defaultTo('open');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('handled_at', { useTz: true });
    table.bigInteger('handled_by').references('id').inTable('users').onDelete('SET NULL');
    table.text('resolution_note').notNullable().defaultTo('');
    table.index(['status', 'created_at'], 'review_reports_status_created_index');
    table.index(['review_id'], 'review_reports_review_index');
  });
  await knex.raw(`ALTER TABLE review_reports ADD CONSTRAINT review_reports_reason_valid CHECK (reason IN (${REPORT_REASONS.map((r) => `'${r}'`).join(', ')}))`);
  await knex.raw("ALTER TABLE review_reports ADD CONSTRAINT review_reports_status_valid CHECK (status IN ('open', 'resolved', 'dismissed'))");
  // One open report per user and review; once handled, the same user may report again.
  await knex.raw("CREATE UNIQUE INDEX review_reports_one_open ON review_reports (review_id, user_id) WHERE status = 'open'");

  for (const trigger of TRIGGERS) {
    const name = `reviews_rating_after_${trigger.op.toLowerCase()}`;
    await knex.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${applyDelta(trigger.delta)}; RETURN NULL; END $$`);
    await knex.raw(`CREATE TRIGGER ${name} AFTER ${trigger.op} ON reviews REFERENCING ${trigger.tables} FOR EACH STATEMENT EXECUTE FUNCTION ${name}()`);
  }
  // reviews.helpful_count follows the vote rows the same way, so a vote that goes with its deleted voter
  // (ON DELETE CASCADE) leaves the count too.
  for (const trigger of VOTE_TRIGGERS) {
    const name = `review_votes_count_after_${trigger.op.toLowerCase()}`;
    await knex.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      UPDATE reviews AS r SET helpful_count = r.helpful_count ${trigger.sign} d.n
        FROM (SELECT review_id, count(*)::int AS n FROM ${trigger.table} GROUP BY review_id) AS d
       WHERE r.id = d.review_id;
      RETURN NULL; END $$`);
    await knex.raw(`CREATE TRIGGER ${name} AFTER ${trigger.op} ON review_votes REFERENCING ${trigger.op === 'INSERT' ? 'NEW' : 'OLD'} TABLE AS ${trigger.table} FOR EACH STATEMENT EXECUTE FUNCTION ${name}()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('review_reports');
  await knex.schema.dropTable('review_votes');
  for (const trigger of VOTE_TRIGGERS) await knex.raw(`DROP FUNCTION review_votes_count_after_${trigger.op.toLowerCase()}()`);
  await knex.schema.dropTable('reviews');
  for (const trigger of TRIGGERS) await knex.raw(`DROP FUNCTION reviews_rating_after_${trigger.op.toLowerCase()}()`);
  await knex.raw('ALTER TABLE products DROP COLUMN rating_counts');
}
