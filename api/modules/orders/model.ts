import type { OrderStatus, PaymentStatus } from './state-machine';

export interface ShippingAddress {
  first_name: string;
  last_name: string;
  address_line_1: string;
  address_line_2: string;
  city: string;
  postal_code: string;
  country: string;
  phone_number: string;
}

export interface OrderRow {
  id: number;
  user_id: number | null;
  user_email: string;
  status: OrderStatus;
  payment_status: PaymentStatus;
  total_amount: string;
  currency: string;
  shipping_address: ShippingAddress | null;
  /** Until when a pending order's stock is reserved for its payment. */
  payment_due_at: string | null;
  cancel_reason: CancelReason | null;
  created_at: string;
  updated_at: string;
  /** Selected with the row: pending and past its payment deadline by the database's clock. */
  payment_overdue?: boolean;
}

export interface OrderItemRow {
  id: number;
  order_id: number;
  product_id: number | null;
  product_title: string;
  product_slug: string;
  unit_price: string;
  quantity: number;
  subtotal: string;
}

export type ActorRole = 'customer' | 'staff' | 'system';

/** Why an order was cancelled: by its customer, by staff, or because it was not paid in time. */
export type CancelReason = 'customer' | 'staff' | 'payment_timeout';

export interface OrderEventRow {
  id: number;
  order_id: number;
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  actor_id: number | null;
  actor_role: ActorRole;
  note: string;
  created_at: string;
}

export interface PaymentRow {
  id: number;
  order_id: number;
  amount: string;
  currency: string;
  method: string;
  provider: string;
  provider_reference: string | null;
  status: 'succeeded' | 'declined' | 'failed' | 'refunded';
  failure_code: string | null;
  refund_reference: string | null;
  refunded_at: string | null;
  created_at: string;
}
