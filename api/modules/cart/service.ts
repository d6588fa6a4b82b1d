import type { Knex } from 'knex';
import { ConflictError, NotFoundError } from '../../errors';
import { loadProducts, productAvailability, serializeProduct, type ProductRow } from '../catalog';
import { centsToNumber, toCents } from './money';
import type { CartItemRow, CartRepository, CartRow } from './repository';
import type { CartItemView, CartView } from './schemas';

const NO_ITEM = 'No CartItem matches the given query.';
const NO_PRODUCT = 'No Product matches the given query.';

/** 409 for a line past the stock, or past CART_MAX_QUANTITY when that is the lower bound. */
export function cartLimitError(limit: number, wanted: number, maxQuantity: number): ConflictError {
  return limit < maxQuantity
    ? new ConflictError(`Only ${limit} in stock.`, 'insufficient_stock', { available: limit, requested: wanted })
    : new ConflictError(`At most ${limit} of one product per cart.`, 'quantity_limit', { available: limit, requested: wanted });
}

export interface CartServiceDeps {
  db: Knex;
  carts: CartRepository;
  maxQuantity: number;
}

function itemView(item: CartItemRow, product: ProductRow, mediaBase: string): CartItemView {
  return {
    id: item.id,
    product: serializeProduct(product, mediaBase),
    quantity: item.quantity,
    subtotal: centsToNumber(toCents(product.price) * item.quantity),
    available: product.is_active && product.stock_quantity >= item.quantity,
  };
}

/**
 * The shopper's cart: one per user, lines merged per product, quantities between 1 and the configured
 * maximum and never above the stock at the time of the change. Prices are the products' current prices;
 * nothing is reserved until an order is placed.
 */
export class CartService {
  constructor(private readonly deps: CartServiceDeps) {}

  private async productLimit(trx: Knex.Transaction, productId: number): Promise<number> {
    const product = await productAvailability(trx, productId);
    if (!product?.isActive) throw new NotFoundError(NO_PRODUCT);
    return Math.min(this.deps.maxQuantity, product.stock);
  }

  private refused(limit: number, wanted: number): ConflictError {
    return cartLimitError(limit, wanted, this.deps.maxQuantity);
  }

  async view(userId: number, mediaBase: string): Promise<CartView> {
    const [view] = await this.views([await this.deps.carts.getOrCreate(userId)], mediaBase);
    return view as CartView;
  }

  /** Carts with their lines and products: three queries whatever the number of carts. */
  async views(carts: CartRow[], mediaBase: string): Promise<CartView[]> {
    const items = await this.deps.carts.itemsOf(carts.map((cart) => cart.id));
    const products = await loadProducts(this.deps.db, items.map((item) => item.product_id));
    return carts.map((cart) => {
      const lines = items.flatMap((item) => {
        const product = products.get(item.product_id);
        return item.cart_id === cart.id && product ? [itemView(item, product, mediaBase)] : [];
      });
      return {
        id: cart.id,
        user: cart.user_id,
        created_at: cart.created_at,
        items: lines,
        total_price: centsToNumber(lines.reduce((sum, view) => sum + toCents(view.product.price) * view.quantity, 0)),
        total_items: lines.reduce((sum, view) => sum + view.quantity, 0),
      };
    });
  }

  /** Lines with their products: one product query however many lines. */
  async itemViews(items: CartItemRow[], mediaBase: string): Promise<CartItemView[]> {
    const products = await loadProducts(this.deps.db, items.map((item) => item.product_id));
    return items.map((item) => {
      const product = products.get(item.product_id);
      if (!product) throw new NotFoundError(NO_PRODUCT);
      return itemView(item, product, mediaBase);
    });
  }

  async itemView(item: CartItemRow, mediaBase: string): Promise<CartItemView> {
    const [view] = await this.itemViews([item], mediaBase);
    return view as CartItemView;
  }

  /** Adds a product, merging with its line; 409 when the cart would hold more than the stock or the maximum. */
  async add(userId: number, productId: number, quantity: number, mediaBase: string): Promise<CartItemView> {
    const item = await this.deps.db.transaction(async (trx) => {
      const cart = await this.deps.carts.getOrCreate(userId, trx);
      const limit = await this.productLimit(trx, productId);
      const merged = await this.deps.carts.addOrMerge(trx, cart.id, productId, quantity, limit);
      if (!merged) {
        const current = (await trx('cart_items').where({ cart_id: cart.id, product_id: productId }).first<{ quantity: number } | undefined>('quantity'))?.quantity ?? 0;
        throw this.refused(limit, current + quantity);
      }
      return merged;
    });
    return this.itemView(item, mediaBase);
  }

  /**
   * Sets or steps a line's quantity. Decreasing a line of 1 removes it (the old API answered 204 then).
   * @returns the line, or undefined when it was removed
   */
  async change(userId: number, itemId: number, change: { set: number } | { delta: number }, mediaBase: string): Promise<CartItemView | undefined> {
    // No cart means no line: a 404 that creates nothing.
    const cart = await this.deps.carts.find(userId);
    if (!cart) throw new NotFoundError(NO_ITEM);
    const result = await this.deps.db.transaction(async (trx) => {
      const seen = await this.deps.carts.item(cart.id, itemId, trx);
      if (!seen) throw new NotFoundError(NO_ITEM);
      // The product is locked before the line, the order an order's transaction takes them in (no deadlock).
      const product = await productAvailability(trx, seen.product_id);
      // Locked, the line cannot change under us: concurrent decreases of a line of 1 cannot drive it below 1.
      const item = await this.deps.carts.lockedItem(trx, cart.id, itemId);
      if (!item) throw new NotFoundError(NO_ITEM);
      const wanted = 'set' in change ? change.set : item.quantity + change.delta;
      if (wanted <= 0) {
        await this.deps.carts.remove(cart.id, itemId, trx);
        return undefined;
      }
      // Lowering a quantity is always allowed, even when the stock has since fallen below it.
      let limit = item.quantity;
      if (wanted > item.quantity) {
        if (!product?.isActive) throw new NotFoundError(NO_PRODUCT);
        limit = Math.min(this.deps.maxQuantity, product.stock);
      }
      const updated = await this.deps.carts.changeQuantity(trx, cart.id, itemId, change, limit);
      if (!updated) throw this.refused(limit, wanted);
      return updated;
    });
    return result && this.itemView(result, mediaBase);
  }

  async remove(userId: number, itemId: number): Promise<void> {
    const cart = await this.deps.carts.find(userId);
    if (!cart || !(await this.deps.carts.remove(cart.id, itemId))) throw new NotFoundError(NO_ITEM);
  }

  async clear(userId: number): Promise<void> {
    const cart = await this.deps.carts.find(userId);
    if (cart) await this.deps.carts.clear(cart.id);
  }

  async totals(userId: number): Promise<{ count: number; totalCents: number }> {
    const cart = await this.deps.carts.find(userId);
    if (!cart) return { count: 0, totalCents: 0 };
    const items = await this.deps.carts.items(cart.id);
    const products = await loadProducts(this.deps.db, items.map((item) => item.product_id));
    return items.reduce(
      (sum, item) => ({ count: sum.count + item.quantity, totalCents: sum.totalCents + toCents(products.get(item.product_id)?.price ?? '0') * item.quantity }),
      { count: 0, totalCents: 0 },
    );
  }

  /**
   * The cart's lines as order lines (for an order placed from the cart). The cart stays locked until the
   * order's transaction ends, so concurrent checkouts of one cart run one after the other: the second reads
   * the cart the first left behind instead of ordering the same lines again.
   */
  async lines(userId: number, trx: Knex.Transaction): Promise<{ productId: number; quantity: number }[]> {
    const cart = await this.deps.carts.lockCartOf(trx, userId);
    if (!cart) return [];
    return (await this.deps.carts.items(cart.id, trx)).map((item) => ({ productId: item.product_id, quantity: item.quantity }));
  }

  /** Removes what was ordered from the cart, in the order's transaction. */
  async takeOut(trx: Knex.Transaction, userId: number, lines: { productId: number; quantity: number }[]): Promise<void> {
    await this.deps.carts.takeOut(trx, userId, lines);
  }
}
