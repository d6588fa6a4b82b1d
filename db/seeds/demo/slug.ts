import { isUnreachableSlug, RESERVED_SLUGS, slugify } from '../../../api/modules/catalog';

/** Product paths the API routes by name, so no product may take them as its slug. */
export const RESERVED_PRODUCT_SLUGS: readonly string[] = [...RESERVED_SLUGS];

/**
 * Hands out unique slugs within one seeding run: the first "blue-lamp" keeps its name, later ones become
 * "blue-lamp-2", "blue-lamp-3", … in the order they are asked for, so the same sequence of titles always gets
 * the same slugs. Digit-only slugs (they would read as ids) and the reserved names count as taken.
 */
export class SlugRegistry {
  private readonly taken: Set<string>;
  private readonly nextSuffix = new Map<string, number>();

  constructor(
    reserved: readonly string[] = [],
    private readonly fallback = 'item',
  ) {
    this.taken = new Set(reserved);
  }

  allocate(text: string): string {
    const base = slugify(text) || this.fallback;
    if (this.isFree(base)) return this.take(base);
    let suffix = this.nextSuffix.get(base) ?? 2;
    while (!this.isFree(`${base}-${suffix}`)) suffix += 1;
    this.nextSuffix.set(base, suffix + 1);
    return this.take(`${base}-${suffix}`);
  }

  private isFree(slug: string): boolean {
    return !this.taken.has(slug) && !isUnreachableSlug(slug);
  }

  private take(slug: string): string {
    this.taken.add(slug);
    return slug;
  }
}
