import { z } from 'zod';
import { NotFoundError } from '../../errors';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { idParam } from '../../http/fields';
import { pageEnvelopeSchema, paginate } from '../../http/pagination';
import { absoluteUrl, mediaBase } from '../../http/urls';
import type { CartRepository } from './repository';
import { cartItemSchema, cartSchema } from './schemas';
import type { CartService } from './service';

const TAGS = ['Cart (staff)'];
const pageQuery = z.object({ page: z.string().optional() });

/**
 * The old `/cart/admin/` router, now staff-only and read/delete only: it let any user create a second cart
 * (breaking every cart endpoint) and re-point lines at other products.
 */
export function cartStaffEndpoints(cart: CartService, carts: CartRepository): Endpoint[] {
  return [
    defineEndpoint({
      method: 'get',
      path: '/cart/admin/',
      summary: 'Staff cart router root',
      tags: TAGS,
      access: 'staff',
      responses: { 200: { description: 'Links', schema: z.object({ carts: z.string(), 'cart-items': z.string() }) } },
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
      responses: { 200: { description: 'A page of carts', schema: pageEnvelopeSchema(cartSchema) } },
      handle: async ({ req }) => {
        const page = await paginate(req, () => carts.countCarts(), (limit, offset) => carts.pageOfCarts(limit, offset));
        return { status: 200, body: { ...page, results: await cart.views(page.results, mediaBase(req)) } };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/cart/admin/carts/:id/',
      summary: 'One cart',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      responses: { 200: { description: 'The cart', schema: cartSchema } },
      handle: async ({ req, params }) => {
        const row = await carts.cartById(params.id);
        if (!row) throw new NotFoundError('No Cart matches the given query.');
        return { status: 200, body: (await cart.views([row], mediaBase(req)))[0] };
      },
    }),
    defineEndpoint({
      method: 'delete',
      path: '/cart/admin/carts/:id/',
      summary: 'Delete a cart and its lines',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ params }) => {
        if (!(await carts.deleteCart(params.id))) throw new NotFoundError('No Cart matches the given query.');
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
      responses: { 200: { description: 'A page of lines', schema: pageEnvelopeSchema(cartItemSchema) } },
      handle: async ({ req }) => {
        const page = await paginate(req, () => carts.countItems(), (limit, offset) => carts.pageOfItems(limit, offset));
        const results = await cart.itemViews(page.results, mediaBase(req));
        return { status: 200, body: { ...page, results } };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/cart/admin/cart-items/:id/',
      summary: 'One cart line',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      responses: { 200: { description: 'The line', schema: cartItemSchema } },
      handle: async ({ req, params }) => {
        const item = await carts.itemById(params.id);
        if (!item) throw new NotFoundError('No CartItem matches the given query.');
        return { status: 200, body: await cart.itemView(item, mediaBase(req)) };
      },
    }),
    defineEndpoint({
      method: 'delete',
      path: '/cart/admin/cart-items/:id/',
      summary: 'Delete a cart line',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ params }) => {
        if (!(await carts.deleteItem(params.id))) throw new NotFoundError('No CartItem matches the given query.');
        return { status: 204 };
      },
    }),
  ];
}
