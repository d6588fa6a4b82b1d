import { serializeProduct, type ProductRow } from '../catalog';
import type { OrderEventRow, OrderItemRow, OrderRow, PaymentRow } from './model';
import type { OrderEventView, OrderView, PaymentView, RefundView, TrackingView } from './schemas';
import type { OrderStatus } from './state-machine';

/** The old backend's tracking number: TRK and the id on 8 digits (TRK00000042). */
export function trackingNumber(orderId: number): string {
  return `TRK${String(orderId).padStart(8, '0')}`;
}

export function orderView(order: OrderRow, items: OrderItemRow[], products: Map<number, ProductRow>, mediaBase: string): OrderView {
  return {
    id: order.id,
    user: order.user_id,
    user_email: order.user_email,
    status: order.status,
    payment_status: order.payment_status,
    total_amount: order.total_amount,
    currency: order.currency,
    shipping_address: order.shipping_address,
    tracking_number: trackingNumber(order.id),
    payment_due_at: order.status === 'pending' ? order.payment_due_at : null,
    cancel_reason: order.cancel_reason,
    created_at: order.created_at,
    updated_at: order.updated_at,
    items: items.map((item) => {
      const product = item.product_id === null ? undefined : products.get(item.product_id);
      return {
        id: item.id,
        product: product ? serializeProduct(product, mediaBase) : null,
        product_id: item.product_id,
        product_title: item.product_title,
        quantity: item.quantity,
        unit_price: item.unit_price,
        subtotal: item.subtotal,
      };
    }),
  };
}

/** What a customer reads for each step (the old API's wording for "Order placed"). */
const TRACKING_TEXT: Record<OrderStatus, { status: string; description: string }> = {
  pending: { status: 'Order placed', description: 'Your order has been placed successfully.' },
  paid: { status: 'Payment received', description: 'Your payment has been received.' },
  processing: { status: 'Processing', description: 'Your order is being prepared.' },
  shipped: { status: 'Shipped', description: 'Your order is on its way.' },
  delivered: { status: 'Delivered', description: 'Your order has been delivered.' },
  cancelled: { status: 'Order cancelled', description: 'Your order has been cancelled.' },
  failed: { status: 'Order failed', description: 'Your order could not be completed.' },
};

const EXPIRED_TEXT = { status: 'Order cancelled', description: 'Your order was cancelled because payment was not received in time.' };

function trackingText(order: OrderRow, status: OrderStatus): { status: string; description: string } {
  return status === 'cancelled' && order.cancel_reason === 'payment_timeout' ? EXPIRED_TEXT : TRACKING_TEXT[status];
}

export function trackingView(order: OrderRow, events: OrderEventRow[]): TrackingView {
  return {
    order_id: order.id,
    status: order.status,
    tracking_number: trackingNumber(order.id),
    estimated_delivery: null,
    tracking_events: events.map((event) => ({ date: event.created_at, ...trackingText(order, event.to_status), code: event.to_status })),
  };
}

export function paymentView(payment: PaymentRow): PaymentView {
  return {
    id: payment.id,
    amount: payment.amount,
    currency: payment.currency,
    method: payment.method,
    provider: payment.provider,
    reference: payment.provider_reference,
    status: payment.status,
    failure_code: payment.failure_code,
    created_at: payment.created_at,
  };
}

export function refundView(payment: PaymentRow): RefundView {
  return { payment_id: payment.id, amount: payment.amount, currency: payment.currency, reference: payment.refund_reference, refunded_at: payment.refunded_at };
}

export function eventView(event: OrderEventRow): OrderEventView {
  return {
    from_status: event.from_status,
    to_status: event.to_status,
    actor: event.actor_id,
    actor_role: event.actor_role,
    note: event.note,
    created_at: event.created_at,
  };
}
