export const PAYMENT_METHODS = ['card', 'credit_card', 'debit_card', 'paypal', 'bank_transfer'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export function isCardMethod(method: PaymentMethod): boolean {
  return method === 'card' || method === 'credit_card' || method === 'debit_card';
}

export interface ChargeRequest {
  orderId: number;
  amountCents: number;
  currency: string;
  method: PaymentMethod;
  /** Card details for card methods, as sent and checked (digits only); never stored or logged. */
  cardNumber?: string;
  expiry?: { month: number; year: number };
  cvv?: string;
}

export type ChargeResult =
  | { status: 'succeeded'; reference: string }
  | { status: 'declined'; reference: string; declineCode: string; message: string };

export interface RefundRequest {
  reference: string;
  amountCents: number;
  currency: string;
}

/**
 * A payment gateway. `charge` answers a decline as a result (the attempt is recorded and the order stays
 * payable); it throws `PaymentProviderError` when the gateway itself failed and nothing was charged.
 */
export interface PaymentProvider {
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<{ reference: string }>;
}

export class PaymentProviderError extends Error {}
