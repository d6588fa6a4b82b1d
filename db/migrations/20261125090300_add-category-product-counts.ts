import type { Knex } from 'knex';

/*
 * categories.products_count = active products of the category, kept exact by statement-level triggers with
 * transition tables: one UPDATE per statement whatever its row count, so bulk seeding stays fast and every
 * write path (API, seeders, SQL) keeps the count right.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION categories_count_products_changes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE categories c SET products_count = c.products_count - d.n
          FROM (SELECT category_id, count(*) AS n FROM old_rows WHERE is_active GROUP BY category_id) d
         WHERE c.id = d.category_id;
      END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE categories c SET products_count = c.products_count + d.n
          FROM (SELECT category_id, count(*) AS n FROM new_rows WHERE is_active GROUP BY category_id) d
         WHERE c.id = d.category_id;
      END IF;
      RETURN NULL;
    END $$`);
  await knex.raw(`CREATE TRIGGER products_count_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION categories_count_products_changes()`);
  await knex.raw(`CREATE TRIGGER products_count_update AFTER UPDATE ON products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION categories_count_products_changes()`);
  await knex.raw(`CREATE TRIGGER products_count_delete AFTER DELETE ON products
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION categories_count_products_changes()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER products_count_delete ON products');
  await knex.raw('DROP TRIGGER products_count_update ON products');
  await knex.raw('DROP TRIGGER products_count_insert ON products');
  await knex.raw('DROP FUNCTION categories_count_products_changes()');
}
