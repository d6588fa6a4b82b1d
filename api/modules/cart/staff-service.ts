import type { Knex } from 'knex';
import type { Actor, AuditLog } from '../audit';
import type { CartRepository } from './repository';
import type { CartItemView, CartView } from './schemas';
import type { CartService } from './service';

/**
 * What staff may do with other users' carts: read them and delete them. Lines are never created or re-pointed
 * here (the old router allowed both, which broke carts).
 */
export class CartStaffService {
  constructor(
    private readonly db: Knex,
    private readonly carts: CartRepository,
    private readonly service: CartService,
    private readonly audit: AuditLog,
  ) {}

  countCarts(): Promise<number> {
    return this.carts.countCarts();
  }

  async pageOfCarts(limit: number, offset: number, mediaBase: string): Promise<CartView[]> {
    return this.service.views(await this.carts.pageOfCarts(limit, offset), mediaBase);
  }

  async cartById(id: number, mediaBase: string): Promise<CartView | undefined> {
    const row = await this.carts.cartById(id);
    return row ? (await this.service.views([row], mediaBase))[0] : undefined;
  }

  /** Deletes a cart and its lines, audited. @returns whether there was such a cart */
  deleteCart(actor: Actor, id: number): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const cart = await this.carts.deleteCart(id, trx);
      if (cart) await this.audit.record(trx, actor, { action: 'cart.deleted', resourceType: 'cart', resourceId: id, before: { user_id: cart.user_id } });
      return cart !== undefined;
    });
  }

  countItems(): Promise<number> {
    return this.carts.countItems();
  }

  async pageOfItems(limit: number, offset: number, mediaBase: string): Promise<CartItemView[]> {
    return this.service.itemViews(await this.carts.pageOfItems(limit, offset), mediaBase);
  }

  async itemById(id: number, mediaBase: string): Promise<CartItemView | undefined> {
    const item = await this.carts.itemById(id);
    return item ? this.service.itemView(item, mediaBase) : undefined;
  }

  /** Deletes one cart line, audited. @returns whether there was such a line */
  deleteItem(actor: Actor, id: number): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const item = await this.carts.deleteItem(id, trx);
      if (item) await this.audit.record(trx, actor, { action: 'cart_item.deleted', resourceType: 'cart_item', resourceId: id, before: { cart_id: item.cart_id, product_id: item.product_id, quantity: item.quantity } });
      return item !== undefined;
    });
  }
}
