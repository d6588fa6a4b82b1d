import type { Request, Response } from 'express';
import { z } from 'zod';
import { noMatch } from '../../errors';
import { defineEndpoint, type Endpoint, type Reply } from '../../http/endpoint';
import { idParam } from '../../http/fields';
import { pageEnvelopeSchema, paginate } from '../../http/pagination';
import { mediaBase } from '../../http/urls';
import { StockUnavailableError } from '../catalog';
import { tooManyUnpaidOrders, unavailable } from './checkout';
import { declinedPaymentExample, paidOrderExample, paymentExample, providerFailureExample, refundExample } from './examples';
import { idempotencyKeyReused, type StoredReply } from './idempotency';
import { alreadyPaid, orderExpired, paymentDeclined, paymentRequired } from './payments/payment-service';
import { invalidTransition } from './state-machine';
import { createOrderBody, orderListQuery, orderSchema, orderStatusSchema, paymentBody, paymentSchema, refundSchema, trackingSchema } from './schemas';
import { cancelRefusal, parseOrdering, type OrderService } from './service';

const TAGS = ['Orders'];
const IDEMPOTENCY =
  'Send an `Idempotency-Key` header (e.g. a UUID) to make retries safe: the same key with the same body returns the first answer ' +
  '(with `Idempotent-Replayed: true`) and does nothing again; the same key with another body is 422.';

export function replay(res: Response, reply: StoredReply): Reply {
  if (reply.replayed) res.setHeader('Idempotent-Replayed', 'true');
  return { status: reply.status, body: reply.body };
}

function idempotencyKey(req: Request): string | undefined {
  return req.get('Idempotency-Key');
}

export function orderEndpoints(orders: OrderService, maxQuantity: number): Endpoint[] {
  const body = createOrderBody(maxQuantity);
  const create = (path: string, summary: string, operationId: string) =>
    defineEndpoint({
      method: 'post',
      path,
      summary,
      description:
        'Orders the given `items`, or the whole cart when `items` is absent; what was ordered leaves the cart. Stock is taken in the same transaction: all lines or none. ' +
        'The stock stays reserved until `payment_due_at` (ORDER_PAYMENT_TIMEOUT); an order not paid by then is cancelled. A customer may have at most ORDER_MAX_UNPAID orders waiting for payment ' +
        '(409 `too_many_unpaid_orders` beyond). ' +
        IDEMPOTENCY,
      operationId,
      tags: TAGS,
      access: 'user',
      body,
      invalidInput: { body: { items: [{ product_id: 5, quantity: 0 }] } },
      errors: [
        unavailable(new StockUnavailableError(5, 'insufficient_stock', 12), 20),
        unavailable(new StockUnavailableError(5, 'inactive', 0), 2),
        tooManyUnpaidOrders(3, 3),
        idempotencyKeyReused(),
      ],
      responses: { 201: { description: 'The order, pending and unpaid', schema: orderSchema } },
      handle: async ({ req, res, auth, body: input }) => replay(res, await orders.create(auth.user, input, idempotencyKey(req), mediaBase(req))),
    });
  const list = (path: string, summary: string, operationId: string) =>
    defineEndpoint({
      method: 'get',
      path,
      summary,
      operationId,
      tags: TAGS,
      access: 'user',
      query: orderListQuery,
      invalidInput: { query: { page: ['2', '3'] } },
      responses: { 200: { description: 'A page of the caller\'s orders', schema: pageEnvelopeSchema(orderSchema) } },
      handle: async ({ req, auth, query }) => {
        const filters = { userId: auth.user.id };
        const ordering = parseOrdering(query.ordering);
        await orders.settleOverdue(filters);
        return {
          status: 200,
          body: await paginate(req, () => orders.count(filters), (limit, offset) => orders.list(filters, ordering, limit, offset, mediaBase(req))),
        };
      },
    });

  return [
    list('/orders/', 'The caller\'s orders, newest first', 'listOrders'),
    list('/orders/history/', 'The caller\'s orders (same as the list)', 'orderHistory'),
    create('/orders/', 'Place an order (REST alias of /orders/create/)', 'createOrderAlias'),
    create('/orders/create/', 'Place an order', 'createOrder'),
    defineEndpoint({
      method: 'get',
      path: '/orders/:id/',
      summary: 'One of the caller\'s orders',
      operationId: 'getOrder',
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Order')],
      responses: { 200: { description: 'The order', schema: orderSchema } },
      handle: async ({ req, auth, params }) => ({ status: 200, body: await orders.view(params.id, auth.user.id, mediaBase(req)) }),
    }),
    defineEndpoint({
      method: 'get',
      path: '/orders/:id/status/',
      summary: 'Status and payment status',
      operationId: 'getOrderStatus',
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Order')],
      responses: { 200: { description: 'Status', schema: orderStatusSchema } },
      handle: async ({ auth, params }) => {
        const order = await orders.find(params.id, auth.user.id);
        return { status: 200, body: { order_id: order.id, status: order.status, payment_status: order.payment_status } };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/orders/:id/track/',
      summary: 'Tracking: one event per status change',
      operationId: 'trackOrder',
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Order')],
      responses: { 200: { description: 'Tracking', schema: trackingSchema } },
      handle: async ({ auth, params }) => ({ status: 200, body: await orders.track(params.id, auth.user.id) }),
    }),
    defineEndpoint({
      method: 'post',
      path: '/orders/:id/cancel/',
      summary: 'Cancel an order (stock returned; refunded when paid)',
      description:
        'Pending, paid and processing orders can be cancelled; shipped, delivered, cancelled and failed ones cannot (409 `invalid_transition`). ' +
        'A paid order is refunded: the message says so and `refund` describes it (null when nothing was charged).',
      operationId: 'cancelOrder',
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Order'), cancelRefusal({ status: 'shipped' }), providerFailureExample],
      responses: {
        200: {
          description: 'Cancelled',
          schema: z.object({ message: z.string(), order: orderSchema, refund: refundSchema.nullable() }),
          example: {
            message: 'Order cancelled successfully. Your payment of 46.98 USD has been refunded.',
            order: { ...paidOrderExample, status: 'cancelled', payment_status: 'refunded', cancel_reason: 'customer', updated_at: refundExample.refunded_at },
            refund: refundExample,
          },
        },
      },
      handle: async ({ req, auth, params }) => {
        const { order, refund } = await orders.cancel(auth.user.id, params.id, mediaBase(req));
        const message = refund
          ? `Order cancelled successfully. Your payment of ${refund.amount} ${refund.currency} has been refunded.`
          : 'Order cancelled successfully.';
        return { status: 200, body: { message, order, refund } };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/orders/:id/payment/',
      summary: 'Pay a pending order',
      description:
        'Charges the order total through the payment provider. A decline is 402 `payment_declined` and the order stays payable. ' +
        'After `payment_due_at` the order is cancelled instead and the answer is 409 `order_expired`; nothing is charged. ' +
        IDEMPOTENCY,
      operationId: 'payOrder',
      tags: TAGS,
      access: 'user',
      params: idParam,
      body: paymentBody,
      invalidInput: { body: { payment_method: 'credit_card', payment_details: { card_number: '4242 4242 4242 4241', cvv: '12' } } },
      errors: [
        paymentDeclined('Your card was declined.', 'card_declined', declinedPaymentExample),
        noMatch('Order'),
        alreadyPaid(),
        orderExpired('2026-12-07T06:41:28.173448Z'),
        invalidTransition('cancelled', 'paid', 'Cannot pay an order that is cancelled.'),
        idempotencyKeyReused(),
        providerFailureExample,
      ],
      responses: {
        200: {
          description: 'Paid',
          schema: z.object({ message: z.string(), payment_method: z.string(), payment: paymentSchema, order: orderSchema }),
          example: { message: 'Payment processed successfully.', payment_method: 'credit_card', payment: paymentExample, order: paidOrderExample },
        },
      },
      handle: async ({ req, res, auth, params, body: input }) => replay(res, await orders.pay(auth.user.id, params.id, input, idempotencyKey(req), mediaBase(req))),
    }),
    defineEndpoint({
      method: 'post',
      path: '/orders/:id/payment/confirm/',
      summary: 'Confirm that an order is paid (409 when it has no successful payment)',
      operationId: 'confirmOrderPayment',
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Order'), paymentRequired(false)],
      responses: { 200: { description: 'Paid', schema: z.object({ message: z.string(), order: orderSchema }), example: { message: 'Payment confirmed.', order: paidOrderExample } } },
      handle: async ({ req, auth, params }) => ({ status: 200, body: await orders.confirm(auth.user.id, params.id, mediaBase(req)) }),
    }),
  ];
}
