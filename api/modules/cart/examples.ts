/**
 * Examples for the OpenAPI document: Ada's (user 23) cart, as `nexus dev` answers with it. Not typed (a
 * schema's type cannot depend on its own example): tests/api/docs/openapi-examples.test.ts checks each.
 */
import { productExample } from '../catalog';

export const cartItemExample = { id: 1, product: productExample, quantity: 2, subtotal: 46.98, available: true };

export const cartExample = {
  id: 1,
  user: 23,
  created_at: '2026-12-07T06:11:28.132506Z',
  items: [cartItemExample],
  total_price: 46.98,
  total_items: 2,
};
