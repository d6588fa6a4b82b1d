import type { CartRepository } from './repository';
import type { CartItemView, CartView } from './schemas';
import type { CartService } from './service';

/**
 * What staff may do with other users' carts: read them and delete them. Lines are never created or re-pointed
 * here (the old router allowed both, which broke carts).
 */
export class CartStaffService {
  constructor(
    private readonly carts: CartRepository,
    private readonly service: CartService,
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

  /** @returns whether there was such a cart */
  deleteCart(id: number): Promise<boolean> {
    return this.carts.deleteCart(id);
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

  /** @returns whether there was such a line */
  deleteItem(id: number): Promise<boolean> {
    return this.carts.deleteItem(id);
  }
}
