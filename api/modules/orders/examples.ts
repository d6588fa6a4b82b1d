/**
 * Examples for the OpenAPI document: Ada's (user 23) order of two jump starters, paid with the simulated
 * provider's test card, as `nexus dev` answers with it. Not typed (a schema's type cannot depend on its own
 * example): tests/api/docs/openapi-examples.test.ts checks each against its schema.
 */
import type { AppError } from '../../errors';
import { productExample } from '../catalog';
import { PaymentProviderError } from './payments/provider';
import { providerFailure } from './transitions';

export const shippingAddressExample = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  address_line_1: "12 St James's Square",
  address_line_2: '',
  city: 'London',
  postal_code: 'SW1Y 4JH',
  country: 'GB',
  phone_number: '+44 20 7946 0958',
};

export const orderItemExample = {
  id: 1,
  product: { ...productExample, stock_quantity: 12 },
  product_id: 5,
  product_title: 'Goodwin-Mayer Cordless Jump Starter K960',
  quantity: 2,
  unit_price: '23.49',
  subtotal: '46.98',
};

/** Just placed: pending, unpaid, its stock reserved until `payment_due_at`. */
export const orderExample = {
  id: 1,
  user: 23,
  user_email: 'ada@example.com',
  status: 'pending',
  payment_status: 'unpaid',
  total_amount: '46.98',
  currency: 'USD',
  shipping_address: shippingAddressExample,
  tracking_number: 'TRK00000001',
  payment_due_at: '2026-12-07T06:41:28.173448Z',
  cancel_reason: null,
  created_at: '2026-12-07T06:11:28.173448Z',
  updated_at: '2026-12-07T06:11:28.173448Z',
  items: [orderItemExample],
};

export const paidOrderExample = { ...orderExample, status: 'paid', payment_status: 'paid', payment_due_at: null, updated_at: '2026-12-07T06:11:28.226806Z' };

export const paymentExample = {
  id: 1,
  amount: '46.98',
  currency: 'USD',
  method: 'credit_card',
  provider: 'simulated',
  reference: 'sim_ch_93e40bff1acf68277b3b6bc0',
  status: 'succeeded',
  failure_code: null,
  created_at: '2026-12-07T06:11:28.226806Z',
};

export const declinedPaymentExample = {
  ...paymentExample,
  id: 2,
  reference: 'sim_ch_5d0c2a9e7b4f1e3a6c8d0b2f',
  status: 'declined' as const,
  failure_code: 'card_declined',
};

/** The payment provider's failure as the client sees it: nothing was charged or changed. */
export const providerFailureExample = providerFailure(new PaymentProviderError('The payment provider could not process the card.')) as AppError;

export const refundExample = {
  payment_id: 1,
  amount: '46.98',
  currency: 'USD',
  reference: 'sim_re_d399660cb56449c5ef8be529',
  refunded_at: '2026-12-07T06:20:02.526891Z',
};

export const orderEventExample = { from_status: 'pending', to_status: 'paid', actor: 23, actor_role: 'customer', note: 'credit_card payment sim_ch_93e40bff1acf68277b3b6bc0', created_at: '2026-12-07T06:11:28.226806Z' };

export const staffOrderExample = {
  ...paidOrderExample,
  events: [{ from_status: null, to_status: 'pending', actor: 23, actor_role: 'customer', note: '', created_at: '2026-12-07T06:11:28.173448Z' }, orderEventExample],
  payments: [paymentExample],
};

export const orderStatusExample = { order_id: 1, status: 'paid', payment_status: 'paid' };

export const trackingExample = {
  order_id: 1,
  status: 'paid',
  tracking_number: 'TRK00000001',
  estimated_delivery: null,
  tracking_events: [
    { date: '2026-12-07T06:11:28.173448Z', status: 'Order placed', description: 'Your order has been placed successfully.', code: 'pending' },
    { date: '2026-12-07T06:11:28.226806Z', status: 'Payment received', description: 'Your payment has been received.', code: 'paid' },
  ],
};

export const createOrderExample = { items: [{ product_id: 5, quantity: 2 }], shipping_address_id: 35 };

/** The simulated provider's success card (docs/api/orders.md#payment-providers). */
export const paymentBodyExample = {
  payment_method: 'credit_card',
  payment_details: { card_number: '4242 4242 4242 4242', expiry_month: 12, expiry_year: 2036, cvv: '123' },
};

export const statusUpdateExample = { status: 'shipped', note: 'Handed to the carrier, parcel 00340434161094042557.' };
