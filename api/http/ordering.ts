import { z } from 'zod';

export interface Ordering {
  column: string;
  direction: 'asc' | 'desc';
}

/**
 * `?ordering=-price` → the mapped column, descending. Fields outside the whitelist are ignored (as DRF did),
 * falling back to the endpoint's default.
 */
export function parseOrdering(value: string | undefined, columns: Record<string, string>, fallback: Ordering): Ordering {
  if (!value) return fallback;
  const descending = value.startsWith('-');
  const field = descending ? value.slice(1) : value;
  // Own keys only: `?ordering=constructor` must not find Object.prototype's.
  const column = Object.hasOwn(columns, field) ? columns[field] : undefined;
  return column ? { column, direction: descending ? 'desc' : 'asc' } : fallback;
}

/** The whitelist for endpoints whose `?ordering=` fields are their column names. */
export function sameNameColumns(fields: readonly string[]): Record<string, string> {
  return Object.fromEntries(fields.map((field) => [field, field]));
}

/**
 * `?ordering=` in a query schema: a whitelisted field, optionally prefixed with `-`; any other value is
 * dropped at validation, exactly as if it were absent (DRF ignored it too). Junk values then neither reach
 * the handler nor make new read-cache entries or pagination links.
 */
export function orderingParam(fields: readonly string[], description: string) {
  return z
    .string()
    .meta({ description })
    .optional()
    .transform((value) => (value !== undefined && fields.includes(value.startsWith('-') ? value.slice(1) : value) ? value : undefined));
}
