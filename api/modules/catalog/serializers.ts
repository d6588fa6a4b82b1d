import type { CategoryTree } from './category-tree';
import type { CategoryRow, ProductRow } from './model';
import type { CategoryView, ProductView, StaffProductView } from './schemas';

/** An absolute image URL: stored paths are under /media/ on this host; external URLs pass through. */
export function imageUrl(image: string | null, mediaBase: string): string | null {
  if (!image) return null;
  return /^https?:\/\//.test(image) ? image : `${mediaBase}${image}`;
}

/** The old field order; `average_rating` is a number rounded to 2 decimals (0 without reviews). */
export function serializeProduct(row: ProductRow, mediaBase: string): ProductView {
  return {
    id: row.id,
    title: row.title,
    slug: row.slug,
    description: row.description,
    price: row.price,
    category: row.category_id,
    category_name: row.category_name,
    image: imageUrl(row.image, mediaBase),
    stock_quantity: row.stock_quantity,
    created_at: row.created_at,
    updated_at: row.updated_at,
    average_rating: Number(row.average_rating),
    reviews_count: row.reviews_count,
  };
}

export function serializeStaffProduct(row: ProductRow, mediaBase: string): StaffProductView {
  return { ...serializeProduct(row, mediaBase), is_active: row.is_active };
}

export function serializeCategory(row: CategoryRow, tree: CategoryTree): CategoryView {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    products_count: tree.totalProducts(row.id),
    parent: row.parent_id,
  };
}
