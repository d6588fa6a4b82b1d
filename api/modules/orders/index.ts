import type { Knex } from 'knex';
import type { Endpoint } from '../../http/endpoint';
import type { AddressService } from '../addresses';
import type { CartService } from '../cart';
import { Checkout } from './checkout';
import { PaymentService } from './payments/payment-service';
import type { PaymentProvider } from './payments/provider';
import { SimulatedPaymentProvider } from './payments/simulated-provider';
import { OrderRepository } from './repository';
import { orderEndpoints } from './routes';
import { OrderService } from './service';
import { orderStaffEndpoints } from './staff-routes';
import type { OrderStatus } from './state-machine';
import { OrderTransitions } from './transitions';
import { OrderViews } from './views';

export interface OrdersModuleDeps {
  db: Knex;
  cart: CartService;
  addresses: AddressService;
  maxQuantity: number;
  currency: string;
  provider: PaymentProvider;
  /** Clock in milliseconds (card expiry). */
  now: () => number;
}

export interface OrdersModule {
  /** Mounted at /api/v1; staff routes first. */
  endpoints: Endpoint[];
  service: OrderService;
}

export function createOrdersModule(deps: OrdersModuleDeps): OrdersModule {
  const orders = new OrderRepository(deps.db);
  const views = new OrderViews(orders);
  const transitions = new OrderTransitions({ orders, provider: deps.provider });
  const checkout = new Checkout({ orders, cart: deps.cart, addresses: deps.addresses, maxQuantity: deps.maxQuantity, currency: deps.currency });
  const payments = new PaymentService({ orders, views, provider: deps.provider, now: deps.now });
  const service = new OrderService({ db: deps.db, orders, views, checkout, payments, transitions });
  return { endpoints: [...orderStaffEndpoints(service), ...orderEndpoints(service, deps.maxQuantity)], service };
}

/** The provider named by PAYMENT_PROVIDER. */
export function paymentProvider(name: 'simulated'): PaymentProvider {
  switch (name) {
    case 'simulated':
      return new SimulatedPaymentProvider();
  }
}

export { TEST_CARDS } from './payments/simulated-provider';
export type { PaymentProvider } from './payments/provider';
export { ORDER_STATUSES, allowedTransitions } from './state-machine';
export type { OrderStatus } from './state-machine';

/** Whether the user has an order in one of `statuses` that contains the product (a verified purchase). */
export async function hasPurchased(db: Knex, userId: number, productId: number, statuses: readonly OrderStatus[]): Promise<boolean> {
  return new OrderRepository(db).hasPurchased(userId, productId, statuses);
}
