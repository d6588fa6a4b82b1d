import type { Request } from 'express';
import { z } from 'zod';
import { canonicalOrigin, canonicalUrl } from './canonical-request';
import { invalidPage, PAGE_SIZE, parsePage } from './page-number';

export { PAGE_SIZE, parsePage } from './page-number';

export interface PageRequest {
  page: number | 'last';
}

export const pageQuery = z.object({
  page: z.string().optional().meta({ description: 'Page number (1-based) or `last`.' }),
});

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** A page of `item`; its documented example is a one-item page of the item's own example. */
export function pageEnvelopeSchema<T extends z.ZodType>(item: T) {
  const itemExample = item.meta()?.example;
  return z
    .object({
      count: z.number().int(),
      next: z.string().nullable(),
      previous: z.string().nullable(),
      results: z.array(item),
    })
    .meta(itemExample === undefined ? {} : { example: { count: 1, next: null, previous: null, results: [itemExample] } });
}

/** The page number a request resolves to once the total is known; 404 past the end (page 1 always exists). */
export function resolvePage(requested: number | 'last', count: number): number {
  const lastPage = Math.max(1, Math.ceil(count / PAGE_SIZE));
  const page = requested === 'last' ? lastPage : requested;
  if (page > lastPage) throw invalidPage();
  return page;
}

/**
 * Absolute link to another page of the same request: its canonical URL (the parameters the endpoint read,
 * sorted, as DRF sorted them) with `page` set, or dropped for page 1.
 */
function pageLink(req: Request, page: number): string {
  const query = new Map(req.canonical?.query);
  if (page === 1) query.delete('page');
  else query.set('page', String(page));
  // Outside an endpoint (no canonical form) the link keeps only the path and the page.
  const pathname = req.originalUrl.split('?')[0] as string;
  return canonicalUrl(req, query) ?? `${canonicalOrigin(req)}${pathname}${page === 1 ? '' : `?page=${page}`}`;
}

function envelope<T>(req: Request, page: number, total: number, results: T[]): Page<T> {
  return {
    count: total,
    next: page * PAGE_SIZE < total ? pageLink(req, page + 1) : null,
    previous: page > 1 ? pageLink(req, page - 1) : null,
    results,
  };
}

/**
 * Runs a counted, paged query and wraps it in DRF's envelope (`count`, `next`, `previous`, `results`).
 * @param fetch receives limit and offset for the resolved page
 */
export async function paginate<T>(
  req: Request,
  count: () => Promise<number>,
  fetch: (limit: number, offset: number) => Promise<T[]>,
): Promise<Page<T>> {
  const requested = parsePage(req.query.page);
  const total = await count();
  const page = resolvePage(requested, total);
  return envelope(req, page, total, await fetch(PAGE_SIZE, (page - 1) * PAGE_SIZE));
}

/**
 * Like `paginate`, for a query that returns the total along with the page (a window count over a result that
 * is computed in full anyway, such as a ranked search): one query instead of two. An empty page past the first
 * is out of range; `page=last` still needs the count first.
 */
export async function paginateCounted<T>(
  req: Request,
  count: () => Promise<number>,
  fetchCounted: (limit: number, offset: number) => Promise<{ rows: T[]; total: number }>,
): Promise<Page<T>> {
  const requested = parsePage(req.query.page);
  if (requested === 'last') return paginate(req, count, async (limit, offset) => (await fetchCounted(limit, offset)).rows);
  const { rows, total } = await fetchCounted(PAGE_SIZE, (requested - 1) * PAGE_SIZE);
  if (rows.length === 0 && requested > 1) throw invalidPage();
  return envelope(req, requested, total, rows);
}
