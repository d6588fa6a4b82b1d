import type { Knex } from 'knex';

export interface CartRow {
  id: number;
  user_id: number;
  created_at: string;
  updated_at: string;
}

export interface CartItemRow {
  id: number;
  cart_id: number;
  product_id: number;
  quantity: number;
  created_at: string;
  updated_at: string;
}

/** Cart queries. Every item query names the cart, so one user can never touch another's lines. */
export class CartRepository {
  constructor(private readonly db: Knex) {}

  /**
   * The user's cart, created on first use. Read first: the common case writes nothing. Two first uses at once
   * both try the insert; the loser's `DO NOTHING` waits for the winner and then reads its row.
   */
  async getOrCreate(userId: number, db: Knex | Knex.Transaction = this.db): Promise<CartRow> {
    const existing = await db('carts').where({ user_id: userId }).first<CartRow | undefined>();
    if (existing) return existing;
    const [created] = await db('carts').insert({ user_id: userId }).onConflict('user_id').ignore().returning<CartRow[]>('*');
    return created ?? ((await db('carts').where({ user_id: userId }).first<CartRow | undefined>()) as CartRow);
  }

  // Staff views over every cart.

  async countCarts(): Promise<number> {
    const [row] = await this.db('carts').count<{ count: number }[]>({ count: '*' });
    return row?.count ?? 0;
  }

  async pageOfCarts(limit: number, offset: number): Promise<CartRow[]> {
    return this.db('carts').orderBy('id').limit(limit).offset(offset).select<CartRow[]>('*');
  }

  async cartById(id: number): Promise<CartRow | undefined> {
    return this.db('carts').where({ id }).first<CartRow | undefined>();
  }

  /** @returns the deleted cart, or undefined when there was none */
  async deleteCart(id: number, trx: Knex.Transaction): Promise<CartRow | undefined> {
    const [row] = await trx('carts').where({ id }).delete().returning<CartRow[]>('*');
    return row;
  }

  async countItems(): Promise<number> {
    const [row] = await this.db('cart_items').count<{ count: number }[]>({ count: '*' });
    return row?.count ?? 0;
  }

  async pageOfItems(limit: number, offset: number): Promise<CartItemRow[]> {
    return this.db('cart_items').orderBy('id').limit(limit).offset(offset).select<CartItemRow[]>('*');
  }

  async itemById(id: number): Promise<CartItemRow | undefined> {
    return this.db('cart_items').where({ id }).first<CartItemRow | undefined>();
  }

  /** @returns the deleted line, or undefined when there was none */
  async deleteItem(id: number, trx: Knex.Transaction): Promise<CartItemRow | undefined> {
    const [row] = await trx('cart_items').where({ id }).delete().returning<CartItemRow[]>('*');
    return row;
  }

  /** Items of several carts at once (staff listings): one query. */
  async itemsOf(cartIds: number[]): Promise<CartItemRow[]> {
    if (cartIds.length === 0) return [];
    return this.db('cart_items').whereIn('cart_id', cartIds).orderBy('id').select<CartItemRow[]>('*');
  }

  async find(userId: number): Promise<CartRow | undefined> {
    return this.db('carts').where({ user_id: userId }).first<CartRow | undefined>();
  }

  async items(cartId: number, db: Knex | Knex.Transaction = this.db): Promise<CartItemRow[]> {
    return db('cart_items').where({ cart_id: cartId }).orderBy('id').select<CartItemRow[]>('*');
  }

  async item(cartId: number, itemId: number, db: Knex | Knex.Transaction = this.db): Promise<CartItemRow | undefined> {
    return db('cart_items').where({ id: itemId, cart_id: cartId }).first<CartItemRow | undefined>();
  }

  /** The line, row-locked until the transaction ends: concurrent changes of one line then apply one after another. */
  /** The user's cart, row-locked until the transaction ends. */
  async lockCartOf(trx: Knex.Transaction, userId: number): Promise<CartRow | undefined> {
    return trx('carts').where({ user_id: userId }).forUpdate().first<CartRow | undefined>();
  }

  async lockedItem(trx: Knex.Transaction, cartId: number, itemId: number): Promise<CartItemRow | undefined> {
    return trx('cart_items').where({ id: itemId, cart_id: cartId }).forUpdate().first<CartItemRow | undefined>();
  }

  /**
   * Adds to a line, creating it if needed, in one statement: concurrent adds of the same product serialise on
   * the line and none of their increments is lost. Nothing is written when the result would exceed `limit`.
   * @returns the line after the change, or undefined when the limit refused it
   */
  async addOrMerge(trx: Knex.Transaction, cartId: number, productId: number, quantity: number, limit: number): Promise<CartItemRow | undefined> {
    if (quantity > limit) return undefined;
    const { rows } = await trx.raw<{ rows: CartItemRow[] }>(
      `INSERT INTO cart_items (cart_id, product_id, quantity) VALUES (?, ?, ?)
       ON CONFLICT (cart_id, product_id) DO UPDATE
         SET quantity = cart_items.quantity + EXCLUDED.quantity, updated_at = now()
         WHERE cart_items.quantity + EXCLUDED.quantity <= ?
       RETURNING *`,
      [cartId, productId, quantity, limit],
    );
    return rows[0];
  }

  /** Sets (or, with `delta`, steps) a line's quantity within `limit`; undefined when the line is not in this cart or the limit refused it. */
  async changeQuantity(trx: Knex.Transaction, cartId: number, itemId: number, change: { set: number } | { delta: number }, limit: number): Promise<CartItemRow | undefined> {
    const [sql, value] = 'set' in change ? ['?::integer', change.set] : ['quantity + ?', change.delta];
    const [row] = await trx('cart_items')
      .where({ id: itemId, cart_id: cartId })
      .andWhereRaw(`${sql} <= ?`, [value, limit])
      .update({ quantity: trx.raw(sql, [value]), updated_at: trx.fn.now() })
      .returning<CartItemRow[]>('*');
    return row;
  }

  async remove(cartId: number, itemId: number, db: Knex | Knex.Transaction = this.db): Promise<boolean> {
    return (await db('cart_items').where({ id: itemId, cart_id: cartId }).delete()) === 1;
  }

  async clear(cartId: number): Promise<void> {
    await this.db('cart_items').where({ cart_id: cartId }).delete();
  }

  /** Takes ordered quantities out of the cart: lines drop by what was ordered and vanish at zero. */
  async takeOut(trx: Knex.Transaction, userId: number, lines: { productId: number; quantity: number }[]): Promise<void> {
    const cart = await trx('carts').where({ user_id: userId }).first<{ id: number } | undefined>('id');
    if (!cart) return;
    for (const line of lines) {
      const own = { cart_id: cart.id, product_id: line.productId };
      await trx('cart_items').where(own).andWhere('quantity', '<=', line.quantity).delete();
      await trx('cart_items')
        .where(own)
        .andWhere('quantity', '>', line.quantity)
        .update({ quantity: trx.raw('quantity - ?', [line.quantity]), updated_at: trx.fn.now() });
    }
  }
}
