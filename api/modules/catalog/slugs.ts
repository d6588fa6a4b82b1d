/** Slugs that would be shadowed by fixed routes (`/products/search/` …) and so could never be fetched. */
export const RESERVED_SLUGS = new Set(['search', 'featured', 'latest']);

/** Longest generated slug base; a `-N` suffix may follow (the column holds 255). */
export const MAX_SLUG_LENGTH = 200;

/**
 * Django's slugify, ASCII only: accents folded, characters other than letters, digits, spaces and hyphens
 * dropped, runs of spaces, hyphens and underscores joined into one hyphen.
 * "Books & Media" → "books-media", "Men's Clothing" → "mens-clothing", "Crème Brûlée" → "creme-brulee".
 */
export function slugify(text: string, maxLength = MAX_SLUG_LENGTH): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_\s-]/g, '')
    .replace(/[_\s-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
}

/**
 * A slug that a `/{id}/` or fixed route would shadow: all digits (read as an id) or reserved. The old
 * backend accepted such slugs and then could never serve them.
 */
export function isUnreachableSlug(slug: string): boolean {
  return /^\d+$/.test(slug) || RESERVED_SLUGS.has(slug);
}

/** `base`, then `base-2`, `base-3`, …, skipping unreachable ones. */
export function* slugCandidates(base: string, fallback: string): Generator<string> {
  const root = base || fallback;
  if (!isUnreachableSlug(root)) yield root;
  for (let suffix = 2; ; suffix += 1) yield `${root.slice(0, MAX_SLUG_LENGTH - String(suffix).length - 1)}-${suffix}`;
}
