import { z } from 'zod';
import { boolean, integer, optionalText, requiredText } from '../../http/fields';
import { orderingParam } from '../../http/ordering';
import { categoryBodyExample, categoryExample, categoryPatchExample, productBodyExample, productExample, productPatchExample, staffProductExample } from './examples';

const MAX_PRICE = 99_999_999.99;

/** DRF's DecimalField(max_digits=10, decimal_places=2), plus the rule the old backend forgot: price > 0. */
const price = z
  .union([z.number(), z.string().trim().regex(/^-?\d+(\.\d+)?$/, { message: 'A valid number is required.' })], {
    // A union's own issue has no DRF translation, so the missing and null cases are spelled out here.
    error: (issue) => (issue.input === undefined ? 'This field is required.' : issue.input === null ? 'This field may not be null.' : 'A valid number is required.'),
  })
  .transform((value) => String(value))
  .pipe(
    z
      .string()
      // JSON numbers below 1e-6 or from 1e21 print in exponent form ("1e-7"), which PostgreSQL would round to 0.
      .regex(/^-?\d+(\.\d+)?$/, { message: 'A valid number is required.', abort: true })
      .refine((value) => !/\.\d{3,}$/.test(value), 'Ensure that there are no more than 2 decimal places.')
      .refine((value) => Number(value) <= MAX_PRICE, 'Ensure that there are no more than 10 digits in total.')
      .refine((value) => Number(value) > 0, 'Ensure this value is greater than 0.'),
  )
  .meta({ type: 'string', description: 'Decimal with at most 2 places, greater than 0 (e.g. "49.50").', example: '49.50' });

const SLUG_MESSAGE = 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.';

/** Lower-case words joined by single hyphens; not all digits and not a reserved word (see slugs.ts). */
const slug = requiredText(200, (value) =>
  value
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: SLUG_MESSAGE })
    .refine((candidate) => !/^\d+$/.test(candidate) && !['search', 'featured', 'latest'].includes(candidate), {
      message: 'This slug is reserved or only digits; it could not be reached by URL.',
    }),
);

/** A primary key; numeric strings (form bodies) are read as numbers, and a missing value stays "required". */
// Validation stops at the type error; the range checks keep DRF's "Ensure this value is …" messages.
const id = integer('Incorrect type. Expected pk value.').pipe(z.number().positive().max(Number.MAX_SAFE_INTEGER));

const stock = integer().pipe(z.number().min(0).max(2_147_483_647));

/** `image` in a JSON body: an http(s) URL, or null to remove the image. Files come as multipart. */
const imageUrl = z
  .union([z.url({ protocol: /^https?$/, message: 'Enter a valid URL.' }).max(500), z.null(), z.literal('')])
  .transform((value) => value || null);

export const productBody = z.object({
  title: requiredText(255),
  price,
  category: id,
  description: optionalText(100_000),
  slug: slug.optional(),
  stock_quantity: stock.optional(),
  is_active: boolean().optional(),
  image: imageUrl.optional(),
}).meta({ example: productBodyExample });

export const productPatchBody = productBody.partial().meta({ example: productPatchExample });

export const categoryBody = z.object({
  name: requiredText(255),
  slug: slug.optional(),
  description: optionalText(100_000),
  parent: id.nullable().optional(),
}).meta({ example: categoryBodyExample });

export const categoryPatchBody = categoryBody.partial().meta({ example: categoryPatchExample });

export const CATEGORY_ORDERING_FIELDS = ['id', 'name', 'slug', 'products_count'] as const;

export const PRODUCT_ORDERING = { price: 'p.price', created_at: 'p.created_at', title: 'p.title', rating: 'p.average_rating' } as const;

/** django-filter skipped empty parameters (`?category=&price=`): an empty value means "no filter", not a 400. */
function filterParam<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema);
}

const decimalFilter = filterParam(
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, { message: 'Enter a number.' })
    .optional(),
);

export const productListQuery = z.object({
  page: z.string().optional().meta({ description: 'Page number (1-based) or `last`.' }),
  category: filterParam(z.string().trim().min(1).optional()).meta({ description: 'Category id or slug; includes its subcategories.' }),
  price: decimalFilter.meta({ description: 'Exact price.' }),
  min_price: decimalFilter,
  max_price: decimalFilter,
  in_stock: filterParam(boolean().optional()).meta({ description: '`true`: stock > 0; `false`: out of stock.' }),
  search: z.string().max(200).optional().meta({ description: 'Full-text search in title and description.' }),
  ordering: orderingParam(Object.keys(PRODUCT_ORDERING), `One of ${Object.keys(PRODUCT_ORDERING).join(', ')}, prefixed with \`-\` for descending. Others are ignored.`),
});

export const searchQuery = z.object({
  q: z.string().max(200).optional().meta({ description: 'Words to search for; the last one also matches as a prefix.' }),
  page: z.string().optional(),
  ordering: productListQuery.shape.ordering,
});

export const pagedOrderedQuery = z.object({ page: z.string().optional(), ordering: productListQuery.shape.ordering });

export const categoryListQuery = z.object({
  page: z.string().optional(),
  ordering: orderingParam(CATEGORY_ORDERING_FIELDS, 'One of id, name, slug, products_count, with `-` for descending. Others are ignored.'),
});

export const productSchema = z
  .object({
    id: z.number().int(),
    title: z.string(),
    slug: z.string(),
    description: z.string(),
    price: z.string().meta({ example: '49.50' }),
    category: z.number().int(),
    category_name: z.string(),
    image: z.string().nullable().meta({ description: 'Absolute URL, or null.' }),
    stock_quantity: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    average_rating: z.number().meta({ description: 'Mean rating rounded to 2 decimals; 0 without reviews.' }),
    reviews_count: z.number().int(),
  })
  .meta({ id: 'Product', example: productExample });

export const staffProductSchema = productSchema.extend({ is_active: z.boolean() }).meta({ id: 'StaffProduct', example: staffProductExample });

export const categorySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    slug: z.string(),
    description: z.string(),
    products_count: z.number().int().meta({ description: 'Active products in this category and its subcategories.' }),
    parent: z.number().int().nullable(),
  })
  .meta({ id: 'Category', example: categoryExample });

export type ProductInput = z.output<typeof productBody>;
export type ProductPatch = z.output<typeof productPatchBody>;
export type CategoryInput = z.output<typeof categoryBody>;
export type CategoryPatch = z.output<typeof categoryPatchBody>;
export type ProductListQuery = z.output<typeof productListQuery>;
export type ProductView = z.output<typeof productSchema>;
export type StaffProductView = z.output<typeof staffProductSchema>;
export type CategoryView = z.output<typeof categorySchema>;
