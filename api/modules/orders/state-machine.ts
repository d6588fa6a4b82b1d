import { ConflictError } from '../../errors';

export const ORDER_STATUSES = ['pending', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'failed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type PaymentStatus = 'unpaid' | 'paid' | 'refunded';

/**
 * Every legal move. `paid` is reached only by a successful payment, never by a status update; cancelling a
 * paid or processing order refunds it; leaving `pending` for `cancelled` or `failed` gives the stock back.
 */
const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['paid', 'cancelled', 'failed'],
  paid: ['processing', 'cancelled'],
  processing: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
  failed: [],
};

/** Statuses whose order still holds stock: leaving them for cancelled/failed returns it. */
const HOLDS_STOCK: readonly OrderStatus[] = ['pending', 'paid', 'processing'];

export function allowedTransitions(from: OrderStatus): readonly OrderStatus[] {
  return TRANSITIONS[from];
}

export function isAllowed(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function releasesStock(from: OrderStatus, to: OrderStatus): boolean {
  return HOLDS_STOCK.includes(from) && (to === 'cancelled' || to === 'failed');
}

/**
 * 409 naming the moves that are allowed from here (what a client or an operator can do instead).
 * @param unavailable moves the caller cannot make through this endpoint (staff never set `paid`)
 */
export function invalidTransition(from: OrderStatus, to: OrderStatus, detail?: string, unavailable: readonly OrderStatus[] = []): ConflictError {
  const allowed = allowedTransitions(from).filter((status) => !unavailable.includes(status));
  const message = detail ?? `Cannot change an order from ${from} to ${to}.`;
  return new ConflictError(message, 'invalid_transition', { error: message, status: from, requested: to, allowed });
}

/** @throws {ConflictError} invalid_transition when the move is not allowed */
export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!isAllowed(from, to)) throw invalidTransition(from, to);
}
