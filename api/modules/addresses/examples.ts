/**
 * Examples for the OpenAPI document: Ada's (user 23) address, as `nexus dev` answers with it. Not typed (a
 * schema's type cannot depend on its own example): tests/api/docs/openapi-examples.test.ts checks each.
 */

export const addressBodyExample = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  address_line_1: "12 St James's Square",
  address_line_2: '',
  city: 'London',
  postal_code: 'SW1Y 4JH',
  country: 'GB',
  phone_number: '+44 20 7946 0958',
  is_default: true,
};

export const addressExample = { id: 35, ...addressBodyExample, user: 23 };

export const addressPatchExample = { phone_number: '+44 20 7946 0321' };
