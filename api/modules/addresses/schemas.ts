import { z } from 'zod';
import { boolean, optionalText, requiredText } from '../../http/fields';
import { addressBodyExample, addressExample, addressPatchExample } from './examples';

export const addressBody = z.object({
  first_name: requiredText(100),
  last_name: requiredText(100),
  address_line_1: requiredText(255),
  address_line_2: optionalText(255),
  city: requiredText(100),
  postal_code: requiredText(20),
  country: requiredText(100),
  phone_number: requiredText(20),
  is_default: boolean().optional(),
}).meta({ example: addressBodyExample });

export const addressPatchBody = addressBody.partial().meta({ example: addressPatchExample });

export const ADDRESS_ORDERING_FIELDS = ['id', 'first_name', 'last_name', 'city', 'postal_code', 'country', 'is_default', 'created_at'] as const;

export const addressListQuery = z.object({
  page: z.string().optional().meta({ description: 'Page number (1-based) or `last`.' }),
  ordering: z.string().optional().meta({ description: `One of ${ADDRESS_ORDERING_FIELDS.join(', ')}; prefix with \`-\` for descending. Unknown fields are ignored.` }),
});

export const addressSchema = z
  .object({
    id: z.number().int(),
    first_name: z.string(),
    last_name: z.string(),
    address_line_1: z.string(),
    address_line_2: z.string(),
    city: z.string(),
    postal_code: z.string(),
    country: z.string(),
    phone_number: z.string(),
    is_default: z.boolean(),
    user: z.number().int().meta({ description: 'Owner id' }),
  })
  .meta({ id: 'Address', example: addressExample });

export type AddressInput = z.output<typeof addressBody>;
export type AddressPatch = z.output<typeof addressPatchBody>;
export type AddressView = z.output<typeof addressSchema>;
