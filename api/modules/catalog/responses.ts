import type { Request } from 'express';
import { paginate, paginateCounted, type Page } from '../../http/pagination';
import { mediaBase } from '../../http/urls';
import type { ProductRow } from './model';
import type { Listing } from './product-queries';
import { serializeProduct, serializeStaffProduct } from './serializers';
import type { ProductView, StaffProductView } from './schemas';

export async function productPage(req: Request, listing: Listing): Promise<Page<ProductView>> {
  const page = listing.fetchCounted ? await paginateCounted(req, listing.count, listing.fetchCounted) : await paginate(req, listing.count, listing.fetch);
  const base = mediaBase(req);
  return { ...page, results: page.results.map((row: ProductRow) => serializeProduct(row, base)) };
}

export async function staffProductPage(req: Request, listing: Listing): Promise<Page<StaffProductView>> {
  const page = await paginate(req, listing.count, listing.fetch);
  const base = mediaBase(req);
  return { ...page, results: page.results.map((row: ProductRow) => serializeStaffProduct(row, base)) };
}
