import { NotFoundError } from '../errors';

export const PAGE_SIZE = 20;

/**
 * The highest page number that can exist: no table holds 2^53 rows, so a page whose first row lies beyond that
 * is past the end whatever the count. Bounding it here keeps every offset an exact integer within PostgreSQL's
 * bigint (`?page=1000000000000000000` was a 500 "value out of range for type bigint").
 */
export const MAX_PAGE = Math.floor(Number.MAX_SAFE_INTEGER / PAGE_SIZE);

export function invalidPage(): NotFoundError {
  return new NotFoundError('Invalid page.');
}

/** Parses `?page=` the way DRF's PageNumberPagination does: 1-based, `last` accepted, anything else 404. */
export function parsePage(value: unknown): number | 'last' {
  if (value === undefined || value === '') return 1;
  if (value === 'last') return 'last';
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw invalidPage();
  const page = Number(value);
  if (page < 1 || page > MAX_PAGE) throw invalidPage();
  return page;
}

/** `?page=` as a canonical request writes it: absent for the first page, `0002` as `2`; 404 when invalid. */
export function canonicalPage(value: unknown): string | undefined {
  const page = parsePage(value);
  return page === 1 ? undefined : String(page);
}
