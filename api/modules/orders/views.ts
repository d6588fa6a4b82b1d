import type { Knex } from 'knex';
import { loadProducts } from '../catalog';
import type { OrderRow } from './model';
import type { OrderRepository } from './repository';
import type { OrderView } from './schemas';
import { orderView } from './serializers';

/** Orders with their lines and current products: three queries whatever the number of orders. */
export class OrderViews {
  constructor(private readonly orders: OrderRepository) {}

  async many(db: Knex, orders: OrderRow[], mediaBase: string): Promise<OrderView[]> {
    const items = await this.orders.itemsOf(orders.map((order) => order.id), db);
    const products = await loadProducts(db, items.flatMap((item) => (item.product_id === null ? [] : [item.product_id])));
    return orders.map((order) => orderView(order, items.filter((item) => item.order_id === order.id), products, mediaBase));
  }

  async one(db: Knex, order: OrderRow, mediaBase: string): Promise<OrderView> {
    const [view] = await this.many(db, [order], mediaBase);
    return view as OrderView;
  }
}
