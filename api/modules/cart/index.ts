import type { Knex } from 'knex';
import { AuditLog } from '../audit';
import type { Endpoint } from '../../http/endpoint';
import { CartRepository } from './repository';
import { cartEndpoints } from './routes';
import { CartService } from './service';
import { cartStaffEndpoints } from './staff-routes';
import { CartStaffService } from './staff-service';

export interface CartModule {
  /** Mounted at /api/v1. The staff router comes first: `/cart/admin/` must not be read as a cart line id. */
  endpoints: Endpoint[];
  service: CartService;
}

export function createCartModule(deps: { db: Knex; maxQuantity: number }): CartModule {
  const carts = new CartRepository(deps.db);
  const service = new CartService({ db: deps.db, carts, maxQuantity: deps.maxQuantity });
  const staff = new CartStaffService(deps.db, carts, service, new AuditLog(deps.db));
  return { endpoints: [...cartStaffEndpoints(staff), ...cartEndpoints(service, deps.maxQuantity)], service };
}

export type { CartService } from './service';
export { toCents, formatCents, centsToNumber } from './money';
export { quantityField } from './schemas';
