import type { Request, Response, Router } from 'express';
import { AppError, ValidationError } from '../../errors';
import { parseInput } from '../../http/validate';
import { caseSensitiveRouter } from '../../http/router';
import { productBody, productPatchBody } from '../catalog';
import type { ConsoleDeps } from './routes';
import type { View } from './page';
import { consoleActor } from './session-middleware';
import { pageLinks, pageNumber, pathId, text } from './form-values';

const PAGE_SIZE = 50;
const SORTS = ['newest', 'title', 'price', 'stock'] as const;
const id = (value: unknown) => pathId(value, 'product');
const file = (req: Request) => (req.file && req.file.size > 0 ? { buffer: req.file.buffer, size: req.file.size } : undefined);

/** The form's fields as the API's product body: empty optional fields are left out, the checkbox is a boolean. */
function formInput(body: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = { is_active: body.is_active === 'on' };
  for (const field of ['title', 'price', 'category', 'description', 'slug', 'stock_quantity']) {
    const value = typeof body[field] === 'string' ? (body[field]).trim() : undefined;
    if (value !== undefined && (value !== '' || field === 'title' || field === 'price' || field === 'category')) input[field] = value;
  }
  return input;
}

const NOTICES: Record<string, string> = {
  created: 'The product is created.',
  saved: 'The product is saved.',
  deleted: 'The product is deleted.',
  bulk: 'The selected products are changed.',
};

export function productsPages(deps: ConsoleDeps, view: View): Router {
  const router = caseSensitiveRouter();
  const categories = async () => deps.categories.sorted(await deps.categories.tree(), 'name');

  router.get('/', async (req, res) => {
    const query = { q: text(req.query.q), category: text(req.query.category), status: text(req.query.status), stock: text(req.query.stock), sort: text(req.query.sort) };
    const page = pageNumber(req.query.page);
    const category = /^[1-9]\d{0,15}$/.test(query.category) ? Number(query.category) : undefined;
    const maxStock = /^\d{1,9}$/.test(query.stock) ? Number(query.stock) : undefined;
    const { count, rows } = await deps.products.browse({
      search: query.q || undefined,
      category,
      active: query.status === 'active' ? true : query.status === 'inactive' ? false : undefined,
      maxStock,
      sort: (SORTS as readonly string[]).includes(query.sort) ? (query.sort as (typeof SORTS)[number]) : 'newest',
      page,
      pageSize: PAGE_SIZE,
    });
    view(res, 200, 'products', 'products', { title: 'Products', query, sorts: SORTS, categories: await categories(), products: rows, count, page, pages: Math.max(1, Math.ceil(count / PAGE_SIZE)), pageLink: pageLinks('/admin/products/', query), notice: NOTICES[text(req.query.done)] });
  });

  const form = async (res: Response, status: number, data: { product?: Record<string, unknown>; values: Record<string, unknown>; errors?: Record<string, unknown> }) => {
    const title = data.product ? `Edit ${String(data.product.title)}` : 'New product';
    view(res, status, 'product', 'products', { title, categories: await categories(), product: data.product, values: data.values, errors: data.errors ?? {}, notice: NOTICES[text(res.req.query.done)] });
  };
  /** Writes through ProductAdmin; the API's validation messages are shown next to their fields. */
  const save = async (req: Request, res: Response, product: Record<string, unknown> | undefined) => {
    const values = formInput(req.body as Record<string, unknown>);
    try {
      if (product) {
        const saved = await deps.products.update(consoleActor(res), product.id as number, parseInput(productPatchBody, values), file(req));
        return res.redirect(303, `/admin/products/${saved.id}/?done=saved`);
      }
      const created = await deps.products.create(consoleActor(res), parseInput(productBody, values), file(req));
      res.redirect(303, `/admin/products/${created.id}/?done=created`);
    } catch (error) {
      if (error instanceof ValidationError || (error instanceof AppError && (error.status === 413 || error.code === 'media_storage_unavailable'))) {
        if (error.status >= 500) deps.logger.error({ err: error.cause ?? error }, 'console product image could not be stored');
        const body = error.toBody();
        return form(res, error.status, { product, values, errors: error instanceof ValidationError ? body : { image: [body.detail] } });
      }
      throw error;
    }
  };

  // Before /:id/, which would take `bulk` for an id.
  /** Several products at once: activate, deactivate or move to a category, each through the same update. */
  router.post('/bulk/', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const ids = ([] as unknown[]).concat(body.ids ?? []).filter((value): value is string => typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value)).slice(0, 200).map(Number);
    const action = text(body.action);
    const category = text(body.category);
    const patch = action === 'activate' ? { is_active: true } : action === 'deactivate' ? { is_active: false } : action === 'move' ? parseInput(productPatchBody, { category }) : undefined;
    if (!patch || ids.length === 0) throw new AppError({ status: 400, code: 'invalid', detail: 'Choose products and an action (and a category to move them to).' });
    for (const productId of ids) await deps.products.update(consoleActor(res), productId, patch);
    res.redirect(303, '/admin/products/?done=bulk');
  });
  router.get('/new/', (_req, res) => form(res, 200, { values: { is_active: true, stock_quantity: '0' } }));
  router.post('/new/', (req, res) => save(req, res, undefined));
  router.get('/:id/', async (req, res) => {
    const product = (await deps.products.get(id(req.params.id))) as unknown as Record<string, unknown>;
    await form(res, 200, { product, values: { ...product, category: product.category_id } });
  });
  router.post('/:id/', async (req, res) => save(req, res, (await deps.products.get(id(req.params.id))) as unknown as Record<string, unknown>));
  router.post('/:id/delete/', async (req, res) => {
    await deps.products.delete(consoleActor(res), id(req.params.id));
    res.redirect(303, '/admin/products/?done=deleted');
  });

  return router;
}
