import { z } from 'zod';
import { noMatch } from '../../errors';
import { defineEndpoint, type Endpoint, type Reply } from '../../http/endpoint';
import { idParam } from '../../http/fields';
import { mediaBase } from '../../http/urls';
import { centsToNumber } from './money';
import { addItemBody, cartItemSchema, cartSchema, setQuantityBody } from './schemas';
import type { CartItemView } from './schemas';
import { cartLimitError, type CartService } from './service';

const TAGS = ['Cart'];
const itemParam = z.object({ item_id: idParam.shape.id });
/** The documented 404 of a line id: another user's line, or none. */
const NO_ITEM = noMatch('CartItem');

function itemOrGone(item: CartItemView | undefined): Reply {
  return item ? { status: 200, body: item } : { status: 204 };
}

export function cartEndpoints(cart: CartService, maxQuantity: number): Endpoint[] {
  const add = (path: string, summary: string, operationId: string) =>
    defineEndpoint({
      method: 'post',
      path,
      summary,
      operationId,
      tags: TAGS,
      access: 'user',
      body: addItemBody(maxQuantity),
      errors: [noMatch('Product'), cartLimitError(14, 20, maxQuantity), cartLimitError(maxQuantity, maxQuantity + 1, maxQuantity)],
      responses: { 201: { description: 'The line after the addition (quantities are merged per product)', schema: cartItemSchema } },
      handle: async ({ req, auth, body }) => ({ status: 201, body: await cart.add(auth.user.id, body.product_id, body.quantity ?? 1, mediaBase(req)) }),
    });
  const setQuantity = (method: 'patch' | 'put', path: string, operationId: string) =>
    defineEndpoint({
      method,
      path,
      summary: 'Set a line\'s quantity',
      operationId,
      tags: TAGS,
      access: 'user',
      params: itemParam,
      body: setQuantityBody(maxQuantity),
      invalidInput: { body: { quantity: 0 } },
      errors: [NO_ITEM, cartLimitError(14, 20, maxQuantity)],
      responses: { 200: { description: 'The line', schema: cartItemSchema } },
      handle: async ({ req, auth, params, body }) => itemOrGone(await cart.change(auth.user.id, params.item_id, { set: body.quantity }, mediaBase(req))),
    });
  const remove = (path: string, operationId: string) =>
    defineEndpoint({
      method: 'delete',
      path,
      summary: 'Remove a line',
      operationId,
      tags: TAGS,
      access: 'user',
      params: itemParam,
      errors: [NO_ITEM],
      responses: { 204: { description: 'Removed' } },
      handle: async ({ auth, params }) => {
        await cart.remove(auth.user.id, params.item_id);
        return { status: 204 };
      },
    });
  const step = (path: string, delta: 1 | -1, operationId: string) =>
    defineEndpoint({
      method: 'patch',
      path,
      summary: delta > 0 ? 'Add one to a line' : 'Take one from a line (a line of 1 is removed: 204)',
      operationId,
      tags: TAGS,
      access: 'user',
      params: itemParam,
      errors: delta > 0 ? [NO_ITEM, cartLimitError(14, 15, maxQuantity)] : [NO_ITEM],
      responses:
        delta < 0
          ? { 200: { description: 'The line', schema: cartItemSchema }, 204: { description: 'The line was removed' } }
          : { 200: { description: 'The line', schema: cartItemSchema } },
      handle: async ({ req, auth, params }) => itemOrGone(await cart.change(auth.user.id, params.item_id, { delta }, mediaBase(req))),
    });

  return [
    defineEndpoint({
      method: 'get',
      path: '/cart/',
      summary: 'The caller\'s cart (created on first use)',
      operationId: 'getCart',
      tags: TAGS,
      access: 'user',
      responses: { 200: { description: 'The cart', schema: cartSchema } },
      handle: async ({ req, auth }) => ({ status: 200, body: await cart.view(auth.user.id, mediaBase(req)) }),
    }),
    add('/cart/', 'Add a product (REST alias of /cart/add/)', 'addToCartAlias'),
    add('/cart/add/', 'Add a product', 'addToCart'),
    defineEndpoint({
      method: 'get',
      path: '/cart/count/',
      summary: 'Number of items (sum of quantities)',
      operationId: 'cartCount',
      tags: TAGS,
      access: 'user',
      responses: { 200: { description: 'Count', schema: z.object({ count: z.number().int() }), example: { count: 2 } } },
      handle: async ({ auth }) => ({ status: 200, body: { count: (await cart.totals(auth.user.id)).count } }),
    }),
    defineEndpoint({
      method: 'get',
      path: '/cart/total/',
      summary: 'Total at current prices',
      operationId: 'cartTotal',
      tags: TAGS,
      access: 'user',
      responses: { 200: { description: 'Total (a number)', schema: z.object({ total: z.number() }), example: { total: 46.98 } } },
      handle: async ({ auth }) => ({ status: 200, body: { total: centsToNumber((await cart.totals(auth.user.id)).totalCents) } }),
    }),
    defineEndpoint({
      method: 'delete',
      path: '/cart/clear/',
      summary: 'Remove every line',
      operationId: 'clearCart',
      tags: TAGS,
      access: 'user',
      responses: { 204: { description: 'Emptied' } },
      handle: async ({ auth }) => {
        await cart.clear(auth.user.id);
        return { status: 204 };
      },
    }),
    setQuantity('patch', '/cart/update/:item_id/', 'updateCartItem'),
    remove('/cart/remove/:item_id/', 'removeCartItem'),
    step('/cart/increase/:item_id/', 1, 'increaseCartItem'),
    step('/cart/decrease/:item_id/', -1, 'decreaseCartItem'),
    setQuantity('put', '/cart/:item_id/', 'replaceCartItemAlias'),
    setQuantity('patch', '/cart/:item_id/', 'updateCartItemAlias'),
    remove('/cart/:item_id/', 'removeCartItemAlias'),
  ];
}
