import type { Knex } from 'knex';

export interface StockLine {
  productId: number;
  quantity: number;
}

/** What an order keeps of a product: the price it was sold at, the title it was sold under. */
export interface ReservedProduct {
  id: number;
  title: string;
  slug: string;
  price: string;
  /** Stock left after this reservation. */
  stock_quantity: number;
}

export type UnavailableReason = 'not_found' | 'inactive' | 'insufficient_stock';

export class StockUnavailableError extends Error {
  constructor(
    readonly productId: number,
    readonly reason: UnavailableReason,
    readonly available: number,
  ) {
    super(`product ${productId}: ${reason}`);
  }
}

async function explain(trx: Knex.Transaction, line: StockLine): Promise<StockUnavailableError> {
  const product = await trx('products').where({ id: line.productId }).first<{ is_active: boolean; stock_quantity: number } | undefined>('is_active', 'stock_quantity');
  if (!product) return new StockUnavailableError(line.productId, 'not_found', 0);
  if (!product.is_active) return new StockUnavailableError(line.productId, 'inactive', 0);
  return new StockUnavailableError(line.productId, 'insufficient_stock', product.stock_quantity);
}

/**
 * Takes stock for every line, all or nothing, inside the caller's transaction: one conditional decrement per
 * product (`stock_quantity >= n`), in product-id order so that concurrent multi-line orders cannot deadlock.
 * Concurrent buyers of the last units queue on the row lock; whoever finds too little stock gets the error,
 * and the transaction rolls back whatever it had taken.
 * @returns the products as sold (price and title at this moment)
 * @throws {StockUnavailableError} for the first line that cannot be served
 */
export async function reserveStock(trx: Knex.Transaction, lines: StockLine[]): Promise<ReservedProduct[]> {
  const reserved: ReservedProduct[] = [];
  for (const line of [...lines].sort((a, b) => a.productId - b.productId)) {
    const [row] = await trx('products')
      .where({ id: line.productId, is_active: true })
      .andWhere('stock_quantity', '>=', line.quantity)
      .update({ stock_quantity: trx.raw('stock_quantity - ?', [line.quantity]), updated_at: trx.fn.now() })
      .returning<ReservedProduct[]>(['id', 'title', 'slug', 'price', 'stock_quantity']);
    if (!row) throw await explain(trx, line);
    reserved.push(row);
  }
  return reserved;
}

/** Gives stock back (cancelled or failed orders). Products deleted since are skipped. */
export async function restoreStock(trx: Knex.Transaction, lines: StockLine[]): Promise<void> {
  for (const line of [...lines].sort((a, b) => a.productId - b.productId)) {
    await trx('products')
      .where({ id: line.productId })
      .update({ stock_quantity: trx.raw('stock_quantity + ?', [line.quantity]), updated_at: trx.fn.now() });
  }
}

/**
 * A product's availability for a cart, share-locked until the caller's transaction ends, so the stock limit
 * applied to the cart line is the stock at that moment.
 */
export async function productAvailability(trx: Knex.Transaction, productId: number): Promise<{ isActive: boolean; stock: number } | undefined> {
  const row = await trx('products').where({ id: productId }).forShare().first<{ is_active: boolean; stock_quantity: number } | undefined>('is_active', 'stock_quantity');
  return row ? { isActive: row.is_active, stock: row.stock_quantity } : undefined;
}
