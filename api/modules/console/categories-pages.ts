import type { Request, Response, Router } from 'express';
import { AppError } from '../../errors';
import { parseInput } from '../../http/validate';
import { caseSensitiveRouter } from '../../http/router';
import { categoryBody, categoryPatchBody } from '../catalog';
import type { Actor } from '../audit';
import type { ConsoleDeps } from './routes';
import type { View } from './page';
import { staffOf } from './session-middleware';

const text = (value: unknown, max = 255) => (typeof value === 'string' ? value.trim().slice(0, max) : '');
const id = (value: string) => {
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new AppError({ status: 404, code: 'not_found', detail: 'No such category.' });
  return Number(value);
};
/** The parent field: empty is the top level. */
const parent = (value: unknown) => (text(value) === '' ? null : text(value));

const NOTICES: Record<string, string> = { created: 'The category is created.', saved: 'The category is saved.', deleted: 'The category is deleted.' };

/** The category tree: create, rename, move and delete through CategoryService (its "move products first" rule included). */
export function categoriesPages(deps: ConsoleDeps, view: View): Router {
  const router = caseSensitiveRouter();
  const actor = (res: Response): Actor => ({ id: staffOf(res).staff.id, label: staffOf(res).staff.email, source: 'console' });

  const tree = async (req: Request, res: Response, status: number, messages: { notice?: string; error?: string }) => {
    const current = await deps.categories.tree();
    const outline = current.outline().map(({ row, depth }) => ({ row, depth, total: current.totalProducts(row.id) }));
    view(res, status, 'categories', 'categories', { title: 'Categories', outline, ...messages });
  };
  router.get('/', (req, res) => tree(req, res, 200, { notice: NOTICES[text(req.query.done)] }));

  /** Runs a change; the service's refusals (validation, "move products first", a loop) are shown on the tree. */
  const change = (run: (req: Request, res: Response) => Promise<string>) => async (req: Request, res: Response) => {
    try {
      res.redirect(303, `/admin/categories/?done=${await run(req, res)}`);
    } catch (error) {
      if (error instanceof AppError && (error.status === 400 || error.status === 409)) {
        const body = error.toBody();
        const message = typeof body.detail === 'string' ? body.detail : Object.entries(body).filter(([name]) => name !== 'code').map(([name, messages]) => `${name}: ${([] as unknown[]).concat(messages).join(' ')}`).join('; ');
        return tree(req, res, error.status, { error: message });
      }
      throw error;
    }
  };
  router.post('/', change(async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await deps.categories.create(actor(res), parseInput(categoryBody, { name: text(body.name), parent: parent(body.parent) }));
    return 'created';
  }));
  router.post('/:id/', change(async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await deps.categories.update(actor(res), id(req.params.id as string), parseInput(categoryPatchBody, { name: text(body.name), parent: parent(body.parent) }));
    return 'saved';
  }));
  router.post('/:id/delete/', change(async (req, res) => {
    const moveTo = text((req.body as Record<string, unknown>).move_to);
    await deps.categories.delete(actor(res), id(req.params.id as string), moveTo === '' ? undefined : id(moveTo));
    return 'deleted';
  }));
  return router;
}
