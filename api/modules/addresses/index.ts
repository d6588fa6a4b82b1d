import type { Knex } from 'knex';
import type { Endpoint } from '../../http/endpoint';
import { AddressRepository } from './repository';
import { addressEndpoints } from './routes';
import { AddressService } from './service';

export interface AddressesModule {
  endpoints: Endpoint[];
  service: AddressService;
}

export function createAddressesModule(deps: { db: Knex }): AddressesModule {
  const addresses = new AddressRepository(deps.db);
  const service = new AddressService({ db: deps.db, addresses });
  return { endpoints: addressEndpoints(service), service };
}

export type { AddressRow } from './model';
export { addressBody } from './schemas';
export type { AddressService } from './service';
