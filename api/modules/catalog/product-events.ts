import type { Knex } from 'knex';
import { recordEvent, type EventType } from '../events';
import type { ProductRow } from './model';
import type { ProductRepository } from './products-repository';
import { serializeStaffProduct } from './serializers';

export interface StockChange {
  productId: number;
  before: number;
  after: number;
}

/**
 * Writes the catalogue's events into the outbox inside the transaction of the change: products as the staff
 * API returns them (inactive ones included), and `product.low_stock` once, when stock falls from above
 * LOW_STOCK_THRESHOLD to it or below (not again while it stays low).
 */
export class ProductEvents {
  constructor(private readonly deps: { products: ProductRepository; mediaBase: string; lowStockThreshold: number }) {}

  async announce(trx: Knex.Transaction, type: Extract<EventType, `product.${string}`>, product: ProductRow, context: Record<string, unknown> = {}): Promise<void> {
    await recordEvent(trx, { type, resource: { type: 'product', id: product.id }, object: serializeStaffProduct(product, this.deps.mediaBase), context });
  }

  /** The product as it is inside the transaction (after the change). */
  async current(trx: Knex.Transaction, id: number): Promise<ProductRow | undefined> {
    return this.deps.products.find({ id }, { includeInactive: true }, trx);
  }

  async announceChange(trx: Knex.Transaction, id: number, type: 'product.created' | 'product.updated' | 'product.deactivated'): Promise<void> {
    const product = await this.current(trx, id);
    if (product) await this.announce(trx, type, product);
  }

  async stockChanged(trx: Knex.Transaction, changes: StockChange[]): Promise<void> {
    const threshold = this.deps.lowStockThreshold;
    for (const change of changes.filter((item) => item.before > threshold && item.after <= threshold)) {
      const product = await this.current(trx, change.productId);
      if (product?.is_active) await this.announce(trx, 'product.low_stock', product, { threshold, previous_stock: change.before });
    }
  }
}
