import { z } from 'zod';
import { integer } from '../../http/fields';
import { productSchema } from '../catalog';
import { cartExample, cartItemExample } from './examples';

const productId = integer().pipe(z.number().min(1).max(Number.MAX_SAFE_INTEGER));

/** DRF's IntegerField with the old "Quantity must be greater than 0." rule; the upper bound is configured. */
export function quantityField(maxQuantity: number) {
  return integer().pipe(
    z
      .number()
      .min(1, { message: 'Quantity must be greater than 0.' })
      .max(maxQuantity, { message: `Ensure this value is less than or equal to ${maxQuantity}.` }),
  );
}

export function addItemBody(maxQuantity: number) {
  return z.object({ product_id: productId, quantity: quantityField(maxQuantity).optional() }).meta({ example: { product_id: 5, quantity: 2 } });
}

export function setQuantityBody(maxQuantity: number) {
  return z.object({ quantity: quantityField(maxQuantity) }).meta({ example: { quantity: 3 } });
}

export const cartItemSchema = z
  .object({
    id: z.number().int(),
    product: productSchema,
    quantity: z.number().int(),
    subtotal: z.number().meta({ description: 'quantity × the current price (a number, as the old API sent it)' }),
    available: z.boolean().meta({ description: 'The product is active and has at least this quantity in stock.' }),
  })
  .meta({ id: 'CartItem', example: cartItemExample });

export const cartSchema = z
  .object({
    id: z.number().int(),
    user: z.number().int(),
    created_at: z.string(),
    items: z.array(cartItemSchema),
    total_price: z.number(),
    total_items: z.number().int(),
  })
  .meta({ id: 'Cart', example: cartExample });

export type CartItemView = z.output<typeof cartItemSchema>;
export type CartView = z.output<typeof cartSchema>;
