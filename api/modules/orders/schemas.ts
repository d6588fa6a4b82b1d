import { z } from 'zod';
import { integer } from '../../http/fields';
import { addressBody } from '../addresses';
import { quantityField } from '../cart';
import { productSchema } from '../catalog';
import { cardFields, checkCardFields } from './payments/card-details';
import { PAYMENT_METHODS } from './payments/provider';
import { ORDER_STATUSES } from './state-machine';
import {
  createOrderExample,
  orderEventExample,
  orderExample,
  orderItemExample,
  orderStatusExample,
  paymentBodyExample,
  paymentExample,
  refundExample,
  shippingAddressExample,
  staffOrderExample,
  statusUpdateExample,
  trackingExample,
} from './examples';

export const MAX_ORDER_LINES = 100;
export const CANCEL_REASONS = ['customer', 'staff', 'payment_timeout'] as const;
export const ORDER_ORDERING_FIELDS = ['id', 'created_at', 'updated_at', 'total_amount', 'status', 'payment_status', 'user_email'] as const;

// min(1), not positive(): the DRF message for an exclusive minimum of 0 would read "greater than or equal to 0".
const positiveId = integer().pipe(z.number().min(1).max(Number.MAX_SAFE_INTEGER));
const money = z.string().meta({ description: 'Decimal string with two places, e.g. "49.90"' });

export const shippingAddressBody = addressBody.omit({ is_default: true });

export function createOrderBody(maxQuantity: number) {
  return z.object({
    items: z
      .array(z.object({ product_id: positiveId, quantity: quantityField(maxQuantity) }))
      .min(1)
      .max(MAX_ORDER_LINES)
      .optional()
      .meta({ description: 'Lines to order. Without it, the whole cart is ordered. Repeated product ids are merged.' }),
    shipping_address_id: positiveId.optional().meta({ description: 'One of the caller\'s addresses, copied onto the order.' }),
    shipping_address: shippingAddressBody.optional().meta({ description: 'An address given inline, copied onto the order.' }),
  }).meta({ example: createOrderExample });
}

/**
 * DRF's messages for an absent or null choice. The generic choice message would print the JS value instead
 * ("\"undefined\" is not a valid choice.").
 */
function missing(input: unknown): string | undefined {
  if (input === undefined) return 'This field is required.';
  if (input === null) return 'This field may not be null.';
  return undefined;
}

const AMOUNT_PATTERN = /^\d+(\.\d{1,2})?$/;

export const paymentBody = z
  .object({
    payment_method: z.enum(PAYMENT_METHODS, { error: (issue) => missing(issue.input) ?? 'Invalid payment method.' }),
    payment_details: z
      .object(cardFields)
      .optional()
      .meta({ description: 'Card details (never stored or logged), checked whenever sent: a card number with any other detail, expiry month and year together, not in the past.' }),
    // Old clients sent the card fields flat too; each is checked like its payment_details twin.
    ...cardFields,
    amount: z
      .union([
        // Whole cents only, as for strings: 59.971 must not pass for 59.97 (the cents comparison would truncate it).
        z.number().refine((value) => AMOUNT_PATTERN.test(String(value)), { message: 'A valid number is required.' }),
        z.string().regex(AMOUNT_PATTERN, { message: 'A valid number is required.' }),
      ])
      .optional()
      .meta({ description: 'When sent, must equal the order total.' }),
  })
  .superRefine(checkCardFields, { when: (payload) => payload.issues.length === 0 })
  .meta({ example: paymentBodyExample });

export const statusUpdateBody = z.object({
  status: z.enum(ORDER_STATUSES, { error: (issue) => missing(issue.input) }),
  note: z.string().max(1000).optional().meta({ description: 'Recorded on the order event (e.g. a carrier reference).' }),
}).meta({ example: statusUpdateExample });

export const orderListQuery = z.object({
  page: z.string().optional().meta({ description: 'Page number (1-based) or `last`.' }),
  ordering: z.string().optional().meta({ description: `One of ${ORDER_ORDERING_FIELDS.join(', ')}; prefix with \`-\` for descending. Default: newest first.` }),
});

// The union's own message: without it zod's generic "Invalid input" would reach the client (Django's wording instead).
const isoDate = z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'Enter a valid date/time.' });

export const staffOrderListQuery = orderListQuery.extend({
  status: z.enum(ORDER_STATUSES).optional(),
  user: positiveId.optional().meta({ description: 'Only this user\'s orders.' }),
  created_after: isoDate.optional().meta({ description: 'Placed at or after this date or time (ISO 8601).' }),
  created_before: isoDate.optional().meta({ description: 'Placed before this date or time (ISO 8601; a date means its start).' }),
});

export const shippingAddressSchema = z
  .object({
    first_name: z.string(),
    last_name: z.string(),
    address_line_1: z.string(),
    address_line_2: z.string(),
    city: z.string(),
    postal_code: z.string(),
    country: z.string(),
    phone_number: z.string(),
  })
  .meta({ id: 'ShippingAddress', example: shippingAddressExample });

export const orderItemSchema = z
  .object({
    id: z.number().int(),
    product: productSchema.nullable().meta({ description: 'The product as it is now; null once it is deleted.' }),
    product_id: z.number().int().nullable(),
    product_title: z.string().meta({ description: 'Title when ordered.' }),
    quantity: z.number().int(),
    unit_price: money,
    subtotal: money,
  })
  .meta({ id: 'OrderItem', example: orderItemExample });

export const orderSchema = z
  .object({
    id: z.number().int(),
    user: z.number().int().nullable(),
    user_email: z.string(),
    status: z.enum(ORDER_STATUSES),
    payment_status: z.enum(['unpaid', 'paid', 'refunded']),
    total_amount: money,
    currency: z.string(),
    shipping_address: shippingAddressSchema.nullable(),
    tracking_number: z.string(),
    payment_due_at: z.string().nullable().meta({ description: 'Until when a pending order waits for its payment; past it the order is cancelled and its stock released.' }),
    cancel_reason: z
      .enum(CANCEL_REASONS)
      .nullable()
      .meta({ description: 'Why a cancelled order was cancelled: `customer`, `staff`, or `payment_timeout` (not paid before `payment_due_at`); null otherwise.' }),
    created_at: z.string(),
    updated_at: z.string(),
    items: z.array(orderItemSchema),
  })
  .meta({ id: 'Order', example: orderExample });

export const orderStatusSchema = z
  .object({ order_id: z.number().int(), status: z.enum(ORDER_STATUSES), payment_status: z.string() })
  .meta({ id: 'OrderStatus', example: orderStatusExample });

export const trackingSchema = z
  .object({
    order_id: z.number().int(),
    status: z.enum(ORDER_STATUSES),
    tracking_number: z.string(),
    estimated_delivery: z.string().nullable(),
    tracking_events: z.array(z.object({ date: z.string(), status: z.string(), description: z.string(), code: z.enum(ORDER_STATUSES) })),
  })
  .meta({ id: 'OrderTracking', example: trackingExample });

export const paymentSchema = z
  .object({
    id: z.number().int(),
    amount: money,
    currency: z.string(),
    method: z.string(),
    provider: z.string(),
    reference: z.string().nullable(),
    status: z.enum(['succeeded', 'declined', 'failed', 'refunded']),
    failure_code: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Payment', example: paymentExample });

export const refundSchema = z
  .object({
    payment_id: z.number().int(),
    amount: money,
    currency: z.string(),
    reference: z.string().nullable().meta({ description: 'The provider\'s reference of the refund.' }),
    refunded_at: z.string().nullable(),
  })
  .meta({ id: 'Refund', example: refundExample });

export const orderEventSchema = z
  .object({
    from_status: z.enum(ORDER_STATUSES).nullable(),
    to_status: z.enum(ORDER_STATUSES),
    actor: z.number().int().nullable(),
    actor_role: z.enum(['customer', 'staff', 'system']),
    note: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'OrderEvent', example: orderEventExample });

export const staffOrderSchema = orderSchema
  .extend({ events: z.array(orderEventSchema), payments: z.array(paymentSchema) })
  .meta({ id: 'StaffOrder', example: staffOrderExample });

export type CreateOrderInput = z.output<ReturnType<typeof createOrderBody>>;
export type PaymentInput = z.output<typeof paymentBody>;
export type OrderView = z.output<typeof orderSchema>;
export type TrackingView = z.output<typeof trackingSchema>;
export type PaymentView = z.output<typeof paymentSchema>;
export type RefundView = z.output<typeof refundSchema>;
export type OrderEventView = z.output<typeof orderEventSchema>;
