import type { Request, Response, Router } from 'express';
import { AppError } from '../../errors';
import { parseInput } from '../../http/validate';
import { caseSensitiveRouter } from '../../http/router';
import { categoryBody, categoryPatchBody } from '../catalog';
import type { ConsoleDeps } from './routes';
import type { View } from './page';
import { consoleActor } from './session-middleware';
import { pathId, refusalMessage, text } from './form-values';

const id = (value: unknown) => pathId(value, 'category');
/** The parent field: empty is the top level. */
const parent = (value: unknown) => (text(value) === '' ? null : text(value));

const NOTICES: Record<string, string> = { created: 'The category is created.', saved: 'The category is saved.', deleted: 'The category is deleted.' };

/** The category tree: create, rename, move and delete through CategoryService (its "move products first" rule included). */
export function categoriesPages(deps: ConsoleDeps, view: View): Router {
  const router = caseSensitiveRouter();

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
        return tree(req, res, error.status, { error: refusalMessage(error) });
      }
      throw error;
    }
  };
  router.post('/', change(async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await deps.categories.create(consoleActor(res), parseInput(categoryBody, { name: text(body.name, 255), parent: parent(body.parent) }));
    return 'created';
  }));
  router.post('/:id/', change(async (req, res) => {
    const body = req.body as Record<string, unknown>;
    await deps.categories.update(consoleActor(res), id(req.params.id), parseInput(categoryPatchBody, { name: text(body.name, 255), parent: parent(body.parent) }));
    return 'saved';
  }));
  router.post('/:id/delete/', change(async (req, res) => {
    const moveTo = text((req.body as Record<string, unknown>).move_to);
    await deps.categories.delete(consoleActor(res), id(req.params.id), moveTo === '' ? undefined : id(moveTo));
    return 'deleted';
  }));
  return router;
}
