/**
 * Examples for the OpenAPI document, in the shapes `nexus dev` answers with (absolute URLs name its default
 * origin). Not typed (a schema's type cannot depend on its own example): tests/api/docs/openapi-examples.test.ts
 * checks each against its schema.
 */

export const categoryExample = {
  id: 41,
  name: 'Car Electronics',
  slug: 'car-electronics',
  description: 'Dash cams, jump starters and chargers.',
  products_count: 12,
  parent: 8,
};

export const productExample = {
  id: 5,
  title: 'Goodwin-Mayer Cordless Jump Starter K960',
  slug: 'goodwin-mayer-cordless-jump-starter-k960',
  description: 'Made to last, with a 12 V plug and one-handed mounting. Comes with a fitting guide.',
  price: '23.49',
  category: 41,
  category_name: 'Car Electronics',
  image: 'http://127.0.0.1:8000/media/products/3f2b9c4e-8d1a-4c55-9e0b-6a7d2f1c8e90.png',
  stock_quantity: 14,
  created_at: '2025-03-05T22:09:17.207000Z',
  updated_at: '2025-04-30T18:32:53.083000Z',
  average_rating: 4.5,
  reviews_count: 2,
};

export const staffProductExample = { ...productExample, is_active: true };

export const productBodyExample = {
  title: 'Goodwin-Mayer Cordless Jump Starter K960',
  price: '23.49',
  category: 41,
  description: 'Made to last, with a 12 V plug and one-handed mounting. Comes with a fitting guide.',
  stock_quantity: 14,
  is_active: true,
};

export const productPatchExample = { price: '19.99', stock_quantity: 40 };

export const categoryBodyExample = { name: 'Car Electronics', description: 'Dash cams, jump starters and chargers.', parent: 8 };

export const categoryPatchExample = { description: 'Dash cams, jump starters, chargers and more.' };
