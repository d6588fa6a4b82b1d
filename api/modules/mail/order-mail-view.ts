import type { EventEnvelope, EventType } from '../events';
import { formatDay, formatMoment, formatMoney } from './format';

/** The mail each mailed order event sends: templates/mail/<template>.{subject,text,html}.eta. */
export const ORDER_MAIL_TEMPLATES = {
  'order.placed': 'order-placed',
  'order.paid': 'order-paid',
  'order.shipped': 'order-shipped',
  'order.cancelled': 'order-cancelled',
  'order.expired': 'order-expired',
} as const satisfies Partial<Record<EventType, string>>;

export type OrderMailTemplate = (typeof ORDER_MAIL_TEMPLATES)[keyof typeof ORDER_MAIL_TEMPLATES];

export function templateFor(type: string): OrderMailTemplate | undefined {
  return Object.hasOwn(ORDER_MAIL_TEMPLATES, type) ? ORDER_MAIL_TEMPLATES[type as keyof typeof ORDER_MAIL_TEMPLATES] : undefined;
}

/** The parts of the API's order object (`data.object` of an order event) that mail shows. */
export interface MailedOrder {
  id: number;
  user_email?: string | null;
  status: string;
  payment_status: string;
  total_amount: string;
  currency?: string;
  tracking_number?: string;
  created_at: string;
  payment_due_at?: string | null;
  shipping_address?: Record<string, string | null | undefined> | null;
  items: { product_title: string; quantity: number; unit_price: string; subtotal: string }[];
}

interface RefundContext {
  amount: string;
  currency?: string;
  reference?: string | null;
}

/** Everything a template reads, formatted already: templates only lay it out. */
export interface OrderMailView {
  shop: { name: string; supportEmail: string };
  /** The first name on the shipping address, for the greeting; null when there is none. */
  firstName: string | null;
  order: {
    id: number;
    placedOn: string;
    /** Until when a pending order waits for its payment ("7 December 2026, 14:30 UTC"); null once paid. */
    paymentDueBy: string | null;
    lines: { title: string; quantity: number; unitPrice: string; subtotal: string }[];
    total: string;
    trackingNumber: string | null;
    /** The address block, one line each (name, street lines, postal code and city, country). */
    address: string[];
    /** The order's page on the shop front end, when one is configured. */
    url: string | null;
  };
  /** order.cancelled: who cancelled it (`customer`, `staff`) and what was refunded (null: nothing was charged). */
  cancellation: { by: string | null; refund: { amount: string; reference: string | null } | null } | null;
}

export interface ViewSettings {
  shop: { name: string; supportEmail: string };
  /** Currency of an order that does not name one (CURRENCY). */
  currency: string;
  /** ORDER_URL: `https://shop.example.com/orders/{id}/`; without it the mail has no link. */
  orderUrlTemplate?: string;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

function addressLines(address: MailedOrder['shipping_address']): string[] {
  if (!address) return [];
  const name = [text(address.first_name), text(address.last_name)].filter(Boolean).join(' ');
  const town = [text(address.postal_code), text(address.city)].filter(Boolean).join(' ');
  return [name, text(address.address_line_1), text(address.address_line_2), town, text(address.country)].filter(Boolean);
}

/** The view of one order event for its mail. */
export function orderMailView(event: Pick<EventEnvelope, 'type' | 'data'>, settings: ViewSettings): OrderMailView {
  const order = event.data.object as MailedOrder;
  const currency = order.currency ?? settings.currency;
  const money = (amount: string) => formatMoney(amount, currency);
  const refund = event.data.refund as RefundContext | null | undefined;
  return {
    shop: settings.shop,
    firstName: text(order.shipping_address?.first_name) || null,
    order: {
      id: order.id,
      placedOn: formatDay(order.created_at),
      paymentDueBy: order.status === 'pending' && order.payment_due_at ? formatMoment(order.payment_due_at) : null,
      lines: order.items.map((item) => ({ title: item.product_title, quantity: item.quantity, unitPrice: money(item.unit_price), subtotal: money(item.subtotal) })),
      total: money(order.total_amount),
      trackingNumber: order.tracking_number ?? null,
      address: addressLines(order.shipping_address),
      url: settings.orderUrlTemplate ? settings.orderUrlTemplate.replaceAll('{id}', encodeURIComponent(String(order.id))) : null,
    },
    cancellation:
      event.type === 'order.cancelled'
        ? {
            by: typeof event.data.cancel_reason === 'string' ? event.data.cancel_reason : null,
            refund: refund ? { amount: formatMoney(refund.amount, refund.currency ?? currency), reference: refund.reference ?? null } : null,
          }
        : null,
  };
}
