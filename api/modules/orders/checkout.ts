import type { Knex } from 'knex';
import type { ShopMetrics } from '../../infra/metrics';
import { ConflictError, NotFoundError, ValidationError, type AppError } from '../../errors';
import type { AddressService } from '../addresses';
import { formatCents, toCents, type CartService } from '../cart';
import { reserveStock, StockUnavailableError, type ReservedProduct, type StockLine } from '../catalog';
import type { OrderItemRow, OrderRow, ShippingAddress } from './model';
import type { OrderEvents } from './order-events';
import type { OrderRepository } from './repository';
import type { CreateOrderInput } from './schemas';

/** numeric(12,2): the largest total an order can carry. */
const MAX_TOTAL_CENTS = 999_999_999_999;

export interface Customer {
  id: number;
  email: string;
}

export interface CheckoutDeps {
  orders: OrderRepository;
  cart: CartService;
  addresses: AddressService;
  maxQuantity: number;
  currency: string;
  /** Seconds an order's stock stays reserved for its payment. */
  paymentSeconds: number;
  /** Most orders a customer may have waiting for payment. */
  maxUnpaid: number;
  events: OrderEvents;
  /** Told of every product whose stock the order took (low-stock events). */
  stockTaken: StockListener;
  /** Counts the checkouts refused for want of stock. */
  metrics?: Pick<ShopMetrics, 'stockRefused'>;
}

export type StockListener = (trx: Knex.Transaction, sold: ReservedProduct[], lines: StockLine[]) => Promise<void>;

/** Repeated product ids become one line; the first mention fixes the line's position. */
function mergeLines(items: { product_id: number; quantity: number }[]): StockLine[] {
  const merged = new Map<number, number>();
  for (const item of items) merged.set(item.product_id, (merged.get(item.product_id) ?? 0) + item.quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/** What a checkout answers for a product it could not take: unknown (400), inactive or short of stock (409). */
export function unavailable(error: StockUnavailableError, requested: number): AppError {
  if (error.reason === 'not_found') return ValidationError.field('items', `Product with id ${error.productId} does not exist.`);
  if (error.reason === 'inactive') {
    return new ConflictError(`Product ${error.productId} is not available.`, 'product_unavailable', { product_id: error.productId });
  }
  return new ConflictError(`Only ${error.available} in stock for product ${error.productId}.`, 'insufficient_stock', {
    product_id: error.productId,
    available: error.available,
    requested,
  });
}

/**
 * Places an order inside the caller's transaction: takes the stock for every line (all or nothing), writes
 * the order with a snapshot of each product as sold, records the first event and takes what was ordered out
 * of the cart. Any refusal rolls all of it back.
 */

export function tooManyUnpaidOrders(waiting: number, limit: number): ConflictError {
  const detail = `You already have ${waiting} unpaid orders. Pay or cancel one of them before placing another.`;
  return new ConflictError(detail, 'too_many_unpaid_orders', { error: detail, unpaid_orders: waiting, limit });
}

export class Checkout {
  constructor(private readonly deps: CheckoutDeps) {}

  private async shippingAddress(trx: Knex.Transaction, customer: Customer, input: CreateOrderInput): Promise<ShippingAddress | null> {
    if (input.shipping_address_id !== undefined && input.shipping_address !== undefined) {
      throw ValidationError.field('non_field_errors', 'Send either shipping_address_id or shipping_address, not both.');
    }
    if (input.shipping_address) return { ...input.shipping_address, address_line_2: input.shipping_address.address_line_2 ?? '' };
    if (input.shipping_address_id === undefined) return null;
    // Read through the order's transaction, never a second pool connection: with every connection held by a
    // checkout waiting for one more, the pool would starve (all of them time out).
    const address = await this.deps.addresses.get(customer.id, input.shipping_address_id, trx).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!address) throw ValidationError.field('shipping_address_id', 'No such address in your address book.');
    const { first_name, last_name, address_line_1, address_line_2, city, postal_code, country, phone_number } = address;
    return { first_name, last_name, address_line_1, address_line_2, city, postal_code, country, phone_number };
  }

  private async lines(trx: Knex.Transaction, customer: Customer, input: CreateOrderInput): Promise<StockLine[]> {
    const lines = input.items ? mergeLines(input.items) : await this.deps.cart.lines(customer.id, trx);
    if (lines.length === 0) throw ValidationError.field('items', 'Your cart is empty: add products to it or send items.');
    const tooMany = lines.find((line) => line.quantity > this.deps.maxQuantity);
    if (tooMany) throw ValidationError.field('items', `At most ${this.deps.maxQuantity} of product ${tooMany.productId} per order.`);
    return lines;
  }

  /**
   * Unpaid orders hold stock, so one customer may keep only a few waiting: otherwise a handful of orders never
   * paid would lock the whole stock away from everyone else until their deadlines.
   */
  private async assertMayOrderUnpaid(trx: Knex.Transaction, customer: Customer): Promise<void> {
    const waiting = await this.deps.orders.countAwaitingPayment(trx, customer.id);
    if (waiting < this.deps.maxUnpaid) return;
    throw tooManyUnpaidOrders(waiting, this.deps.maxUnpaid);
  }

  async place(trx: Knex.Transaction, customer: Customer, input: CreateOrderInput): Promise<{ order: OrderRow; items: OrderItemRow[] }> {
    // First of all, so every checkout takes its locks in one order: the customer, the cart, the products.
    await this.deps.orders.lockCustomerCheckouts(trx, customer.id);
    const shipping = await this.shippingAddress(trx, customer, input);
    const lines = await this.lines(trx, customer, input);
    await this.assertMayOrderUnpaid(trx, customer);
    const reserved = await reserveStock(trx, lines).catch((error: unknown) => {
      if (!(error instanceof StockUnavailableError)) throw error;
      if (error.reason === 'insufficient_stock') this.deps.metrics?.stockRefused();
      throw unavailable(error, lines.find((line) => line.productId === error.productId)?.quantity ?? 0);
    });
    const sold = new Map(reserved.map((product) => [product.id, product]));
    const priced = lines.map((line) => {
      const product = sold.get(line.productId);
      if (!product) throw new Error(`reserveStock returned no row for product ${line.productId}`);
      return { line, product, subtotalCents: toCents(product.price) * line.quantity };
    });
    const totalCents = priced.reduce((sum, item) => sum + item.subtotalCents, 0);
    if (totalCents > MAX_TOTAL_CENTS) throw ValidationError.field('items', `The order total may not exceed ${formatCents(MAX_TOTAL_CENTS)}.`);

    const order = await this.deps.orders.insertOrder(
      trx,
      { user_id: customer.id, user_email: customer.email, total_amount: formatCents(totalCents), currency: this.deps.currency, shipping_address: shipping },
      this.deps.paymentSeconds,
    );
    const items = await this.deps.orders.insertItems(
      trx,
      priced.map(({ line, product, subtotalCents }) => ({
        order_id: order.id,
        product_id: product.id,
        product_title: product.title,
        product_slug: product.slug,
        unit_price: product.price,
        quantity: line.quantity,
        subtotal: formatCents(subtotalCents),
      })),
    );
    await this.deps.orders.addEvent(trx, { order_id: order.id, from_status: null, to_status: 'pending', actor_id: customer.id, actor_role: 'customer', note: '' });
    await this.deps.cart.takeOut(trx, customer.id, lines);
    await this.deps.events.announce(trx, order, { from: null });
    await this.deps.stockTaken(trx, reserved, lines);
    return { order, items };
  }
}
