import { z } from 'zod';
import { noMatch } from '../../errors';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { paginate, pageEnvelopeSchema } from '../../http/pagination';
import { cachedReply, cacheScopes, type CatalogCache } from './cache';
import type { CategoryService } from './category-service';
import type { ProductQueries } from './product-queries';
import { mediaBase } from '../../http/urls';
import { productPage } from './responses';
import { categoryListQuery, categorySchema, pagedOrderedQuery, productListQuery, productSchema, searchQuery } from './schemas';
import { serializeCategory, serializeProduct } from './serializers';

const PRODUCTS = ['Products'];
const CATEGORIES = ['Categories'];
/** An id (digits, written without leading zeros from here on) or a slug, so each product has one key per form. */
const refParam = z.object({
  ref: z
    .string()
    .meta({ description: 'Numeric id or slug.' })
    .transform((ref) => (/^\d{1,15}$/.test(ref) ? String(Number(ref)) : ref)),
});
const productPageSchema = pageEnvelopeSchema(productSchema);
/** `?page=2&page=3`: a parameter sent twice is not a string, the one query input these lists refuse. */
const REPEATED_PAGE = { query: { page: ['2', '3'] } };

export interface PublicRoutesDeps {
  queries: ProductQueries;
  categories: CategoryService;
  cache: CatalogCache;
}

export function publicCatalogEndpoints({ queries, categories, cache }: PublicRoutesDeps): Endpoint[] {
  return [
    defineEndpoint({
      method: 'get',
      path: '/products/',
      summary: 'List products (active only), oldest first unless ordered',
      operationId: 'listProducts',
      tags: PRODUCTS,
      access: 'public',
      query: productListQuery,
      invalidInput: { query: { min_price: 'cheap' } },
      responses: { 200: { description: 'A page of products', schema: productPageSchema } },
      handle: ({ req, res, query }) => cachedReply(cache, req, res, async () => productPage(req, await queries.list(query))),
    }),
    defineEndpoint({
      method: 'get',
      path: '/products/search/',
      summary: 'Full-text search, best matches first; the last word also matches as a prefix',
      operationId: 'searchProducts',
      tags: PRODUCTS,
      access: 'public',
      query: searchQuery,
      invalidInput: { query: { q: 'jump starter '.repeat(16) } },
      responses: { 200: { description: 'A page of matching products', schema: productPageSchema } },
      handle: ({ req, res, query }) => cachedReply(cache, req, res, async () => productPage(req, await queries.search(query.q, query.ordering))),
    }),
    defineEndpoint({
      method: 'get',
      path: '/products/featured/',
      summary: 'The 10 newest products',
      operationId: 'featuredProducts',
      tags: PRODUCTS,
      access: 'public',
      query: pagedOrderedQuery,
      invalidInput: REPEATED_PAGE,
      responses: { 200: { description: 'Up to 10 products', schema: productPageSchema } },
      handle: ({ req, res, query }) => cachedReply(cache, req, res, async () => productPage(req, await queries.newest('featured', query.ordering))),
    }),
    defineEndpoint({
      method: 'get',
      path: '/products/latest/',
      summary: 'The 20 newest products',
      operationId: 'latestProducts',
      tags: PRODUCTS,
      access: 'public',
      query: pagedOrderedQuery,
      invalidInput: REPEATED_PAGE,
      responses: { 200: { description: 'Up to 20 products', schema: productPageSchema } },
      handle: ({ req, res, query }) => cachedReply(cache, req, res, async () => productPage(req, await queries.newest('latest', query.ordering))),
    }),
    defineEndpoint({
      method: 'get',
      path: '/products/:ref/',
      summary: 'One product, by id or slug',
      operationId: 'getProduct',
      tags: PRODUCTS,
      access: 'public',
      params: refParam,
      errors: [noMatch('Product')],
      responses: { 200: { description: 'The product', schema: productSchema } },
      handle: ({ req, res, params }) =>
        cachedReply(cache, req, res, async () => serializeProduct(await queries.detail(params.ref), mediaBase(req)), [cacheScopes.product(params.ref)]),
    }),
    defineEndpoint({
      method: 'get',
      path: '/categories/',
      summary: 'List categories, by name',
      operationId: 'listCategories',
      tags: CATEGORIES,
      access: 'public',
      query: categoryListQuery,
      invalidInput: REPEATED_PAGE,
      responses: { 200: { description: 'A page of categories', schema: pageEnvelopeSchema(categorySchema) } },
      handle: ({ req, res, query }) =>
        cachedReply(cache, req, res, async () => {
          const tree = await categories.tree();
          const rows = categories.sorted(tree, query.ordering);
          const page = await paginate(req, async () => rows.length, async (limit, offset) => rows.slice(offset, offset + limit));
          return { ...page, results: page.results.map((row) => serializeCategory(row, tree)) };
        }),
    }),
    defineEndpoint({
      method: 'get',
      path: '/categories/:ref/',
      summary: 'One category, by id or slug',
      operationId: 'getCategory',
      tags: CATEGORIES,
      access: 'public',
      params: refParam,
      errors: [noMatch('Category')],
      responses: { 200: { description: 'The category', schema: categorySchema } },
      handle: ({ req, res, params }) =>
        cachedReply(cache, req, res, async () => {
          const { row, tree } = await categories.get(params.ref);
          return serializeCategory(row, tree);
        }),
    }),
    defineEndpoint({
      method: 'get',
      path: '/categories/:ref/products/',
      summary: 'Products of a category and its subcategories',
      operationId: 'listCategoryProducts',
      tags: CATEGORIES,
      access: 'public',
      params: refParam,
      query: pagedOrderedQuery,
      invalidInput: REPEATED_PAGE,
      errors: [noMatch('Category')],
      responses: { 200: { description: 'A page of products', schema: productPageSchema } },
      handle: ({ req, res, params, query }) => cachedReply(cache, req, res, async () => productPage(req, await queries.inCategory(params.ref, query.ordering))),
    }),
  ];
}
