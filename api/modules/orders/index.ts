import type { Knex } from 'knex';
import type { ShopMetrics } from '../../infra/metrics';
import { AuditLog } from '../audit';
import type { Endpoint } from '../../http/endpoint';
import type { AddressService } from '../addresses';
import type { CartService } from '../cart';
import { Checkout, type StockListener } from './checkout';
import { OrderEvents } from './order-events';
import { OrderExpiry } from './expiry';
import { requestDigest } from './idempotency';
import { PaymentService } from './payments/payment-service';
import type { PaymentProvider } from './payments/provider';
import { SimulatedPaymentProvider } from './payments/simulated-provider';
import { OrderRepository } from './repository';
import { orderEndpoints } from './routes';
import { OrderService } from './service';
import { orderStaffEndpoints } from './staff-routes';
import type { OrderStatus } from './state-machine';
import { OrderTransitions, type PurchaseListener } from './transitions';
import { OrderViews } from './views';

export interface OrdersModuleDeps {
  db: Knex;
  cart: CartService;
  addresses: AddressService;
  maxQuantity: number;
  currency: string;
  provider: PaymentProvider;
  /** Seconds an order's stock stays reserved for its payment (ORDER_PAYMENT_TIMEOUT). */
  paymentSeconds: number;
  /** Most orders one customer may have waiting for payment (ORDER_MAX_UNPAID). */
  maxUnpaid: number;
  /** Told when a customer's orders of some products change status (the reviews' verified badges follow). */
  purchasesChanged?: PurchaseListener;
  /** Clock in milliseconds (card expiry). */
  now: () => number;
  /** A server secret keying the digests of idempotent requests (which may hold card data). */
  serverSecret: string;
  /** Image links in events are made on it (PUBLIC_URL/media/). */
  eventMediaBase: string;
  /** Told of the stock each checkout took (the catalogue's low-stock events). */
  stockTaken: StockListener;
  /** The shop's counters: orders, payments, stock refusals. */
  metrics?: ShopMetrics;
}

export interface OrdersModule {
  /** Mounted at /api/v1; staff routes first. */
  endpoints: Endpoint[];
  service: OrderService;
  /** Expires orders past their payment deadline; each API process sweeps with it (see expirySweeper). */
  expiry: OrderExpiry;
}

export function createOrdersModule(deps: OrdersModuleDeps): OrdersModule {
  const orders = new OrderRepository(deps.db);
  const views = new OrderViews(orders);
  const events = new OrderEvents({ orders, views, mediaBase: deps.eventMediaBase, metrics: deps.metrics });
  const transitions = new OrderTransitions({ orders, provider: deps.provider, events, purchasesChanged: deps.purchasesChanged });
  const expiry = new OrderExpiry({ db: deps.db, orders, transitions });
  const checkout = new Checkout({
    orders,
    cart: deps.cart,
    addresses: deps.addresses,
    maxQuantity: deps.maxQuantity,
    currency: deps.currency,
    paymentSeconds: deps.paymentSeconds,
    maxUnpaid: deps.maxUnpaid,
    events,
    stockTaken: deps.stockTaken,
    metrics: deps.metrics,
  });
  const payments = new PaymentService({ orders, views, provider: deps.provider, transitions, expiry, events, now: deps.now, metrics: deps.metrics });
  const service = new OrderService({ db: deps.db, audit: new AuditLog(deps.db), orders, views, checkout, payments, transitions, expiry, digest: requestDigest(deps.serverSecret) });
  return { endpoints: [...orderStaffEndpoints(service), ...orderEndpoints(service, deps.maxQuantity)], service, expiry };
}

/** The provider named by PAYMENT_PROVIDER. */
export function paymentProvider(name: 'simulated'): PaymentProvider {
  switch (name) {
    case 'simulated':
      return new SimulatedPaymentProvider();
  }
}

export { TEST_CARDS } from './payments/simulated-provider';
export { expirySweeper, type ExpirySweeper, type OrderExpiry } from './expiry';
export type { PaymentProvider } from './payments/provider';
export { ORDER_STATUSES, allowedTransitions } from './state-machine';
export type { OrderStatus } from './state-machine';

/** Whether the user has an order in one of `statuses` that contains the product (a verified purchase). */
export async function hasPurchased(db: Knex, userId: number, productId: number, statuses: readonly OrderStatus[]): Promise<boolean> {
  return new OrderRepository(db).hasPurchased(userId, productId, statuses);
}
export type { OrderService } from './service';
