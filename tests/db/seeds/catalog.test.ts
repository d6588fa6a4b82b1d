import { Faker, en } from '@faker-js/faker';
import { seedDemoCatalog } from '../../../db/seeds/demo/catalog';
import { DEPARTMENTS } from '../../../db/seeds/demo/catalog-tree';
import { slugify } from '../../../api/modules/catalog';
import { RESERVED_PRODUCT_SLUGS, SlugRegistry } from '../../../db/seeds/demo/slug';
import { createTestDatabase, type TestDatabase } from '../../support/database';

function fakerFor(seed: number): Faker {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  return faker;
}

describe('slugify', () => {
  it.each([
    ['Sports & Outdoors', 'sports-outdoors'],
    ["Men's Clothing", 'mens-clothing'],
    ['Chef’s Knife – Crème Brûlée, 20 cm', 'chefs-knife-creme-brulee-20-cm'],
    ['  --Hello,   World!--  ', 'hello-world'],
    ['日本語', ''],
  ])('When given %j, then it gives %j', (text, slug) => {
    expect(slugify(text)).toBe(slug);
  });

  it('When the text is long, then the slug is cut at 200 characters without a trailing hyphen', () => {
    const slug = slugify(`${'a'.repeat(199)} bcd`);
    expect(slug).toBe('a'.repeat(199));
    expect(slugify('word '.repeat(100)).length).toBeLessThanOrEqual(200);
    expect(slugify('word '.repeat(100))).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});

describe('SlugRegistry', () => {
  it('When titles repeat, then later ones get -2, -3… in order, also around a natural "-2"', () => {
    const slugs = new SlugRegistry();
    expect(['Blue Lamp', 'Blue lamp', 'Blue Lamp 2', 'BLUE LAMP'].map((title) => slugs.allocate(title))).toEqual([
      'blue-lamp',
      'blue-lamp-2',
      'blue-lamp-2-2',
      'blue-lamp-3',
    ]);
  });

  it('When a title would give a reserved, digit-only or empty slug, then it is suffixed or replaced', () => {
    const slugs = new SlugRegistry(RESERVED_PRODUCT_SLUGS, 'product');
    expect(['Search', 'Featured!', 'latest', '2024', '!!!', '???'].map((title) => slugs.allocate(title))).toEqual([
      'search-2',
      'featured-2',
      'latest-2',
      '2024-2',
      'product',
      'product-2',
    ]);
  });
});

describe('seedDemoCatalog', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('When batches are small, then every product is written once with unique slugs and progress climbs to the total', async () => {
    const progress: [number, number][] = [];
    const result = await seedDemoCatalog(database.db, fakerFor(7), {
      categories: 3,
      products: 53,
      batchSize: 10,
      onProgress: (done, total) => progress.push([done, total]),
    });
    const expectedCategories = DEPARTMENTS.slice(0, 3).reduce((sum, department) => sum + 1 + department.subcategories.length, 0);
    expect(result).toEqual({ categories: expectedCategories, products: 53 });
    expect(progress.map(([done]) => done)).toEqual([10, 20, 30, 40, 50, 53]);
    expect(progress.every(([, total]) => total === 53)).toBe(true);
    const slugs = (await database.db('products').pluck('slug')) as string[];
    expect(new Set(slugs).size).toBe(53);
  });

  it('When a category of the tree already exists under another slug or case, then it is reused rather than duplicated', async () => {
    const other = await createTestDatabase();
    try {
      const [existing]: { id: number }[] = await other.db('categories').insert({ name: 'LAPTOPS', slug: 'our-laptops' }).returning('id');
      await seedDemoCatalog(other.db, fakerFor(1), { categories: 1, products: 200 });
      expect(await other.db('categories').whereRaw("lower(name) = 'laptops'").pluck('id')).toEqual([existing?.id]);
      const [row] = await other.db('products').where({ category_id: existing?.id }).count<{ count: string }[]>('* as count');
      expect(Number(row?.count)).toBeGreaterThan(0);
    } finally {
      await other.drop();
    }
  });

  it('When products are asked for without any category, then it refuses', async () => {
    await expect(seedDemoCatalog(database.db, fakerFor(1), { categories: 0, products: 1 })).rejects.toThrow('at least one category');
  });
});
