import { noMatch } from '../../errors';
import { apiActor } from '../audit';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { idParam } from '../../http/fields';
import { pageEnvelopeSchema, paginate } from '../../http/pagination';
import { mediaBase } from '../../http/urls';
import { orderSchema, staffOrderListQuery, staffOrderSchema, statusUpdateBody } from './schemas';
import { providerFailureExample } from './examples';
import { parseOrdering, type OrderService } from './service';
import { invalidTransition } from './state-machine';

const TAGS = ['Orders (staff)'];

/** Mounted before the customer routes: `/orders/admin/…` must not be read as an order id. */
export function orderStaffEndpoints(orders: OrderService): Endpoint[] {
  return [
    defineEndpoint({
      method: 'get',
      path: '/orders/admin/all/',
      summary: 'Every order, newest first, with filters',
      operationId: 'staffListOrders',
      tags: TAGS,
      access: 'staff',
      query: staffOrderListQuery,
      invalidInput: { query: { status: 'lost' } },
      responses: { 200: { description: 'A page of orders', schema: pageEnvelopeSchema(orderSchema) } },
      handle: async ({ req, query }) => {
        const filters = { status: query.status, userId: query.user, createdFrom: query.created_after, createdTo: query.created_before };
        const ordering = parseOrdering(query.ordering);
        await orders.settleOverdue(filters);
        return {
          status: 200,
          body: await paginate(req, () => orders.count(filters), (limit, offset) => orders.list(filters, ordering, limit, offset, mediaBase(req))),
        };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/orders/admin/:id/',
      summary: 'One order with its events and payment attempts',
      operationId: 'staffGetOrder',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      errors: [noMatch('Order')],
      responses: { 200: { description: 'The order', schema: staffOrderSchema } },
      handle: async ({ req, params }) => ({ status: 200, body: await orders.staffView(params.id, mediaBase(req)) }),
    }),
    defineEndpoint({
      method: 'patch',
      path: '/orders/admin/:id/update-status/',
      summary: 'Move an order through the state machine',
      description:
        'pending → cancelled | failed; paid → processing | cancelled (refund); processing → shipped | cancelled (refund); shipped → delivered. ' +
        'Stock comes back when a pending, paid or processing order is cancelled or fails. Anything else is 409 `invalid_transition` with the allowed moves.',
      operationId: 'staffUpdateOrderStatus',
      tags: TAGS,
      access: 'staff',
      params: idParam,
      body: statusUpdateBody,
      errors: [noMatch('Order'), invalidTransition('delivered', 'shipped', undefined, ['paid']), providerFailureExample],
      responses: { 200: { description: 'The order after the change', schema: orderSchema } },
      handle: async ({ req, auth, params, body }) => ({
        status: 200,
        body: await orders.setStatus(apiActor(auth), params.id, body.status, body.note ?? '', mediaBase(req)),
      }),
    }),
  ];
}
