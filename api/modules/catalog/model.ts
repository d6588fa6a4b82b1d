import { Model } from 'objection';

export interface CategoryRow {
  id: number;
  name: string;
  slug: string;
  description: string;
  parent_id: number | null;
  /** Active products directly in this category (kept by database triggers). */
  products_count: number;
  created_at: string;
  updated_at: string;
}

export class Category extends Model implements CategoryRow {
  static override tableName = 'categories';

  id!: number;
  name!: string;
  slug!: string;
  description!: string;
  parent_id!: number | null;
  products_count!: number;
  created_at!: string;
  updated_at!: string;
}

export interface ProductRow {
  id: number;
  title: string;
  slug: string;
  description: string;
  /** numeric(10,2) as PostgreSQL prints it, e.g. "49.50". */
  price: string;
  stock_quantity: number;
  category_id: number;
  category_name: string;
  image: string | null;
  is_active: boolean;
  average_rating: string;
  reviews_count: number;
  created_at: string;
  updated_at: string;
}

export class Product extends Model {
  static override tableName = 'products';

  id!: number;
  title!: string;
  slug!: string;
  description!: string;
  price!: string;
  stock_quantity!: number;
  category_id!: number;
  image!: string | null;
  is_active!: boolean;
  average_rating!: string;
  reviews_count!: number;
  created_at!: string;
  updated_at!: string;
}
