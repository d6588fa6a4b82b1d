import type { Request } from 'express';
import { z } from 'zod';
import { MediaStorageUnavailableError, noMatch } from '../../errors';
import { apiActor } from '../audit';
import { fileTooLarge } from '../../http/images';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { idParam } from '../../http/fields';
import { pageEnvelopeSchema, paginate } from '../../http/pagination';
import { categoryNotEmpty, type CategoryService } from './category-service';
import type { ProductAdmin, UploadedFile } from './product-admin';
import { absoluteUrl, mediaBase } from '../../http/urls';
import { staffProductPage } from './responses';
import { categoryBody, categoryListQuery, categoryPatchBody, categorySchema, productBody, productListQuery, productPatchBody, staffProductSchema } from './schemas';
import { serializeCategory, serializeStaffProduct } from './serializers';

const TAGS = ['Catalog (staff)'];
/** An image upload while the media store (MEDIA_STORAGE=s3) cannot take it: nothing is changed. */
const MEDIA_STORE_DOWN = new MediaStorageUnavailableError({ kind: 'no_bucket', message: 'example' });
const refAsId = z.object({ ref: idParam.shape.id });
const moveQuery = z.object({ move_to: z.coerce.number().int().positive().optional().meta({ description: 'Category that receives the products and subcategories first.' }) });
// The price filter is a decimal, as on the public list: anything else was passed to SQL and answered 500.
const adminProductQuery = z.object({ page: z.string().optional(), category: z.string().optional(), price: productListQuery.shape.price, ordering: z.string().optional() });

function file(req: Request): UploadedFile | undefined {
  return req.file ? { buffer: req.file.buffer, size: req.file.size } : undefined;
}

export interface StaffRoutesDeps {
  products: ProductAdmin;
  categories: CategoryService;
  maxImageBytes: number;
}

/**
 * Product writes, mounted twice: under the old staff router (`/admin/products`, no trailing slash) and as
 * the REST aliases clients expected (`/products/`). `collection` and `item` are the two paths.
 */
export function productWriteEndpoints({ products, maxImageBytes }: StaffRoutesDeps, collection: string, item: string, withReads: boolean): Endpoint[] {
  const upload = { field: 'image', maxBytes: maxImageBytes };
  const writes = [
    defineEndpoint({
      method: 'post',
      path: collection,
      summary: 'Create a product (JSON, or multipart with an `image` file)',
      tags: TAGS,
      access: 'staff',
      body: productBody,
      upload,
      errors: [fileTooLarge(), MEDIA_STORE_DOWN],
      responses: { 201: { description: 'The product', schema: staffProductSchema } },
      handle: async ({ req, auth, body }) => ({ status: 201, body: serializeStaffProduct(await products.create(apiActor(auth), body, file(req)), mediaBase(req)) }),
    }),
    defineEndpoint({
      method: 'put',
      path: item,
      summary: 'Replace a product (title, price and category required)',
      tags: TAGS,
      access: 'staff',
      params: refAsId,
      body: productBody,
      upload,
      errors: [noMatch('Product'), fileTooLarge(), MEDIA_STORE_DOWN],
      responses: { 200: { description: 'The product', schema: staffProductSchema } },
      handle: async ({ req, auth, params, body }) => ({ status: 200, body: serializeStaffProduct(await products.update(apiActor(auth), params.ref, body, file(req)), mediaBase(req)) }),
    }),
    defineEndpoint({
      method: 'patch',
      path: item,
      summary: 'Change some fields of a product',
      tags: TAGS,
      access: 'staff',
      params: refAsId,
      body: productPatchBody,
      upload,
      invalidInput: { body: { price: '0' } },
      errors: [noMatch('Product'), fileTooLarge(), MEDIA_STORE_DOWN],
      responses: { 200: { description: 'The product', schema: staffProductSchema } },
      handle: async ({ req, auth, params, body }) => ({ status: 200, body: serializeStaffProduct(await products.update(apiActor(auth), params.ref, body, file(req)), mediaBase(req)) }),
    }),
    defineEndpoint({
      method: 'delete',
      path: item,
      summary: 'Delete a product',
      tags: TAGS,
      access: 'staff',
      params: refAsId,
      errors: [noMatch('Product')],
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ auth, params }) => {
        await products.delete(apiActor(auth), params.ref);
        return { status: 204 };
      },
    }),
  ];
  if (!withReads) return writes;
  return [
    defineEndpoint({
      method: 'get',
      path: collection,
      summary: 'All products, inactive ones included',
      tags: TAGS,
      access: 'staff',
      query: adminProductQuery,
      invalidInput: { query: { price: 'cheap' } },
      responses: { 200: { description: 'A page of products', schema: pageEnvelopeSchema(staffProductSchema) } },
      handle: async ({ req, query }) => ({ status: 200, body: await staffProductPage(req, await products.list(query)) }),
    }),
    defineEndpoint({
      method: 'get',
      path: item,
      summary: 'One product, inactive or not',
      tags: TAGS,
      access: 'staff',
      params: refAsId,
      errors: [noMatch('Product')],
      responses: { 200: { description: 'The product', schema: staffProductSchema } },
      handle: async ({ req, params }) => ({ status: 200, body: serializeStaffProduct(await products.get(params.ref), mediaBase(req)) }),
    }),
    ...writes,
  ];
}

export function categoryWriteEndpoints({ categories }: StaffRoutesDeps, collection: string, item: string, withReads: boolean): Endpoint[] {
  const writes = [
    defineEndpoint({
      method: 'post',
      path: collection,
      summary: 'Create a category',
      tags: TAGS,
      access: 'staff',
      body: categoryBody,
      responses: { 201: { description: 'The category', schema: categorySchema } },
      handle: async ({ auth, body }) => {
        const row = await categories.create(apiActor(auth), body);
        return { status: 201, body: serializeCategory(row, await categories.tree()) };
      },
    }),
    ...(['put', 'patch'] as const).map((method) =>
      defineEndpoint({
        method,
        path: item,
        summary: method === 'put' ? 'Replace a category (name required)' : 'Change some fields of a category',
        tags: TAGS,
        access: 'staff',
        params: refAsId,
        body: method === 'put' ? categoryBody : categoryPatchBody,
        invalidInput: method === 'put' ? undefined : { body: { parent: 'none' } },
        errors: [noMatch('Category')],
        responses: { 200: { description: 'The category', schema: categorySchema } },
        handle: async ({ auth, params, body }) => {
          const row = await categories.update(apiActor(auth), params.ref, body);
          return { status: 200, body: serializeCategory(row, await categories.tree()) };
        },
      }),
    ),
    defineEndpoint({
      method: 'delete',
      path: item,
      summary: 'Delete a category (refused while it has products or subcategories, unless ?move_to=)',
      tags: TAGS,
      access: 'staff',
      params: refAsId,
      query: moveQuery,
      invalidInput: { query: { move_to: 'books' } },
      errors: [noMatch('Category'), categoryNotEmpty(3, 0)],
      responses: { 204: { description: 'Deleted' } },
      handle: async ({ auth, params, query }) => {
        await categories.delete(apiActor(auth), params.ref, query.move_to);
        return { status: 204 };
      },
    }),
  ];
  if (!withReads) return writes;
  return [
    defineEndpoint({
      method: 'get',
      path: collection,
      summary: 'All categories',
      tags: TAGS,
      access: 'staff',
      query: categoryListQuery,
      invalidInput: { query: { page: ['2', '3'] } },
      responses: { 200: { description: 'A page of categories', schema: pageEnvelopeSchema(categorySchema) } },
      handle: async ({ req, query }) => {
        const tree = await categories.tree();
        const rows = categories.sorted(tree, query.ordering);
        const page = await paginate(req, async () => rows.length, async (limit, offset) => rows.slice(offset, offset + limit));
        return { status: 200, body: { ...page, results: page.results.map((row) => serializeCategory(row, tree)) } };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: item,
      summary: 'One category',
      tags: TAGS,
      access: 'staff',
      params: refAsId,
      errors: [noMatch('Category')],
      responses: { 200: { description: 'The category', schema: categorySchema } },
      handle: async ({ params }) => {
        const { row, tree } = await categories.get(String(params.ref));
        return { status: 200, body: serializeCategory(row, tree) };
      },
    }),
    ...writes,
  ];
}

export function adminRootEndpoint(): Endpoint {
  return defineEndpoint({
    method: 'get',
    path: '/admin/',
    summary: 'Staff router root',
    tags: TAGS,
    access: 'staff',
    responses: {
      200: {
        description: 'Links to the staff collections',
        schema: z.object({ products: z.string(), categories: z.string() }),
        example: { products: 'http://127.0.0.1:8000/api/v1/admin/products', categories: 'http://127.0.0.1:8000/api/v1/admin/categories' },
      },
    },
    handle: async ({ req }) => {
      const base = absoluteUrl(req, '/api/v1/admin');
      return { status: 200, body: { products: `${base}/products`, categories: `${base}/categories` } };
    },
  });
}
