import type { AddressRow } from './model';
import type { AddressView } from './schemas';

/** The old field order, with the owner id last as `user`. */
export function serializeAddress(address: AddressRow): AddressView {
  return {
    id: address.id,
    first_name: address.first_name,
    last_name: address.last_name,
    address_line_1: address.address_line_1,
    address_line_2: address.address_line_2,
    city: address.city,
    postal_code: address.postal_code,
    country: address.country,
    phone_number: address.phone_number,
    is_default: address.is_default,
    user: address.user_id,
  };
}
