import { noMatch } from '../../errors';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { idParam, messageSchema } from '../../http/fields';
import { pageEnvelopeSchema, paginate } from '../../http/pagination';
import { addressBody, addressListQuery, addressPatchBody, addressSchema } from './schemas';
import { serializeAddress } from './serializers';
import { noDefaultAddress, parseOrdering, type AddressService } from './service';

const TAGS = ['Addresses'];

export function addressEndpoints(service: AddressService): Endpoint[] {
  return [
    defineEndpoint({
      method: 'get',
      path: '/addresses/',
      summary: 'List the caller\'s addresses',
      operationId: 'listAddresses',
      tags: TAGS,
      access: 'user',
      query: addressListQuery,
      invalidInput: { query: { page: ['2', '3'] } },
      responses: { 200: { description: 'A page of addresses', schema: pageEnvelopeSchema(addressSchema) } },
      handle: async ({ req, auth, query }) => {
        const ordering = parseOrdering(query.ordering);
        const page = await paginate(
          req,
          () => service.count(auth.user.id),
          (limit, offset) => service.list(auth.user.id, ordering, limit, offset),
        );
        return { status: 200, body: { ...page, results: page.results.map(serializeAddress) } };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/addresses/',
      summary: 'Add an address',
      operationId: 'createAddress',
      tags: TAGS,
      access: 'user',
      body: addressBody,
      responses: { 201: { description: 'The new address', schema: addressSchema } },
      handle: async ({ auth, body }) => ({ status: 201, body: serializeAddress(await service.create(auth.user.id, body)) }),
    }),
    defineEndpoint({
      method: 'get',
      path: '/addresses/default/',
      summary: 'The caller\'s default address',
      operationId: 'getDefaultAddress',
      tags: TAGS,
      access: 'user',
      errors: [noDefaultAddress()],
      responses: { 200: { description: 'The default address', schema: addressSchema } },
      handle: async ({ auth }) => ({ status: 200, body: serializeAddress(await service.getDefault(auth.user.id)) }),
    }),
    defineEndpoint({
      method: 'get',
      path: '/addresses/:id/',
      summary: 'One of the caller\'s addresses',
      operationId: 'getAddress',
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Address')],
      responses: { 200: { description: 'The address', schema: addressSchema } },
      handle: async ({ auth, params }) => ({ status: 200, body: serializeAddress(await service.get(auth.user.id, params.id)) }),
    }),
    defineEndpoint({
      method: 'put',
      path: '/addresses/:id/',
      summary: 'Replace an address (all required fields)',
      operationId: 'replaceAddress',
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Address')],
      body: addressBody,
      responses: { 200: { description: 'The updated address', schema: addressSchema } },
      handle: async ({ auth, params, body }) => ({
        status: 200,
        body: serializeAddress(await service.update(auth.user.id, params.id, body)),
      }),
    }),
    defineEndpoint({
      method: 'patch',
      path: '/addresses/:id/',
      summary: 'Change some fields of an address',
      operationId: 'updateAddress',
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Address')],
      body: addressPatchBody,
      invalidInput: { body: { is_default: 'maybe' } },
      responses: { 200: { description: 'The updated address', schema: addressSchema } },
      handle: async ({ auth, params, body }) => ({ status: 200, body: serializeAddress(await service.update(auth.user.id, params.id, body)) }),
    }),
    defineEndpoint({
      method: 'delete',
      path: '/addresses/:id/',
      summary: 'Delete an address',
      operationId: 'deleteAddress',
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Address')],
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ auth, params }) => {
        await service.delete(auth.user.id, params.id);
        return { status: 204 };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/addresses/:id/set_default/',
      summary: 'Make an address the default one',
      operationId: 'setDefaultAddress',
      tags: TAGS,
      access: 'user',
      params: idParam,
      errors: [noMatch('Address')],
      responses: { 200: { description: 'Default changed', schema: messageSchema, example: { message: 'Default address updated.' } } },
      handle: async ({ auth, params }) => {
        await service.setDefault(auth.user.id, params.id);
        return { status: 200, body: { message: 'Default address updated.' } };
      },
    }),
  ];
}
