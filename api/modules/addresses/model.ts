import { Model } from 'objection';

export interface AddressRow {
  id: number;
  user_id: number;
  first_name: string;
  last_name: string;
  address_line_1: string;
  address_line_2: string;
  city: string;
  postal_code: string;
  country: string;
  phone_number: string;
  is_default: boolean;
  created_at: string;
  updated_at: string;
}

export class Address extends Model implements AddressRow {
  static override tableName = 'addresses';

  id!: number;
  user_id!: number;
  first_name!: string;
  last_name!: string;
  address_line_1!: string;
  address_line_2!: string;
  city!: string;
  postal_code!: string;
  country!: string;
  phone_number!: string;
  is_default!: boolean;
  created_at!: string;
  updated_at!: string;
}
