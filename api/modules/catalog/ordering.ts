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
  const column = columns[descending ? value.slice(1) : value];
  return column ? { column, direction: descending ? 'desc' : 'asc' } : fallback;
}
