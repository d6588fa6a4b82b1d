import { z } from 'zod';
import { noMatch } from '../../errors';
import { apiActor } from '../audit';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { idParam } from '../../http/fields';
import { pageEnvelopeSchema, paginate } from '../../http/pagination';
import { absoluteUrl, mediaBase } from '../../http/urls';
import { cartItemSchema, cartSchema } from './schemas';
import type { CartStaffService } from './staff-service';

const TAGS = ['Cart (staff)'];
const pageQuery = z.object({ page: z.string().optional() });
const REPEATED_PAGE = { query: { page: ['2', '3'] } };

/**
 * The old `/cart/admin/` router, now staff-only and read/delete only: it let any user create a second cart
 * (breaking every cart endpoint) and re-point lines at other products.
 */
export function cartStaffEndpoints(staff: CartStaffService): Endpoint[] {
  return [
    defineEndpoint({
      method: 'get',
      path: '/cart/admin/',
      summary: 'Staff cart router root',
      tags: TAGS,
      access: 'staff',
      responses: {
        200: {
          description: 'Links',
          schema: z.object({ carts: z.string(), 'cart-items': z.string() }),
          example: { carts: 'http://127.0.0.1:8000/api/v1/cart/admin/carts/', 'cart-items': 'http://127.0.0.1:8000/api/v1/cart/admin/cart-items/' },
        },
      },
      handle: async ({ req }) => ({
        status: 200,
        body: { carts: absoluteUrl(req, '/api/v1/cart/admin/carts/'), 'cart-items': absoluteUrl(req, '/api/v1/cart/admin/cart-items/') },
      }),
    }),
    defineEndpoint({
      method: 'get',
      path: '/cart/admin/carts/',
      summary: 'Every cart',
      tags: TAGS,
      access: 'staff',
      query: pageQuery,
      invalidInput: REPEATED_PAGE,
      responses: { 200: { description: 'A page of carts', schema: pageEnvelopeSchema(cartSchema) } },
      handle: async ({ req }) => {
        const page = await paginate(req, () => staff.countCarts(), (limit, offset) => staff.pageOfCarts(limit, offset, mediaBase(req)));
        return { status: 200, body: page };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/cart/admin/carts/:id/',
      summary: 'One cart',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      errors: [noMatch('Cart')],
      responses: { 200: { description: 'The cart', schema: cartSchema } },
      handle: async ({ req, params }) => {
        const cart = await staff.cartById(params.id, mediaBase(req));
        if (!cart) throw noMatch('Cart');
        return { status: 200, body: cart };
      },
    }),
    defineEndpoint({
      method: 'delete',
      path: '/cart/admin/carts/:id/',
      summary: 'Delete a cart and its lines',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      errors: [noMatch('Cart')],
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ auth, params }) => {
        if (!(await staff.deleteCart(apiActor(auth), params.id))) throw noMatch('Cart');
        return { status: 204 };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/cart/admin/cart-items/',
      summary: 'Every cart line',
      tags: TAGS,
      access: 'staff',
      query: pageQuery,
      invalidInput: REPEATED_PAGE,
      responses: { 200: { description: 'A page of lines', schema: pageEnvelopeSchema(cartItemSchema) } },
      handle: async ({ req }) => {
        const page = await paginate(req, () => staff.countItems(), (limit, offset) => staff.pageOfItems(limit, offset, mediaBase(req)));
        return { status: 200, body: page };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/cart/admin/cart-items/:id/',
      summary: 'One cart line',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      errors: [noMatch('CartItem')],
      responses: { 200: { description: 'The line', schema: cartItemSchema } },
      handle: async ({ req, params }) => {
        const item = await staff.itemById(params.id, mediaBase(req));
        if (!item) throw noMatch('CartItem');
        return { status: 200, body: item };
      },
    }),
    defineEndpoint({
      method: 'delete',
      path: '/cart/admin/cart-items/:id/',
      summary: 'Delete a cart line',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      errors: [noMatch('CartItem')],
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ auth, params }) => {
        if (!(await staff.deleteItem(apiActor(auth), params.id))) throw noMatch('CartItem');
        return { status: 204 };
      },
    }),
  ];
}
