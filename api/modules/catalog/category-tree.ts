import type { CategoryRow } from './model';

/** The category hierarchy built from all rows: subtrees, subtree product counts, cycle checks. */
export class CategoryTree {
  private readonly children = new Map<number | null, CategoryRow[]>();
  private readonly byId = new Map<number, CategoryRow>();
  private readonly totals = new Map<number, number>();

  constructor(readonly rows: CategoryRow[]) {
    for (const row of rows) {
      this.byId.set(row.id, row);
      const siblings = this.children.get(row.parent_id) ?? [];
      siblings.push(row);
      this.children.set(row.parent_id, siblings);
    }
  }

  get(id: number): CategoryRow | undefined {
    return this.byId.get(id);
  }

  /** The category and everything below it. */
  subtreeIds(id: number): number[] {
    const seen = new Set<number>();
    const pending = [id];
    while (pending.length > 0) {
      const current = pending.pop() as number;
      if (seen.has(current)) continue;
      seen.add(current);
      for (const child of this.children.get(current) ?? []) pending.push(child.id);
    }
    return [...seen];
  }

  /** Active products of the category and all its subcategories. */
  totalProducts(id: number): number {
    const cached = this.totals.get(id);
    if (cached !== undefined) return cached;
    const total = this.subtreeIds(id).reduce((sum, member) => sum + (this.byId.get(member)?.products_count ?? 0), 0);
    this.totals.set(id, total);
    return total;
  }

  /** Every active product in the shop. */
  allProducts(): number {
    return this.rows.reduce((sum, row) => sum + row.products_count, 0);
  }

  /** Every category depth-first (siblings by name), with its depth: the tree as an outline. */
  outline(): { row: CategoryRow; depth: number }[] {
    const result: { row: CategoryRow; depth: number }[] = [];
    const visit = (parent: number | null, depth: number) => {
      for (const row of [...(this.children.get(parent) ?? [])].sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id)) {
        result.push({ row, depth });
        visit(row.id, depth + 1);
      }
    };
    visit(null, 0);
    return result;
  }

  /** Whether making `parentId` the parent of `id` would create a loop. */
  wouldCycle(id: number, parentId: number): boolean {
    return this.subtreeIds(id).includes(parentId);
  }
}
