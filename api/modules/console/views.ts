import { join } from 'node:path';
import { Eta } from 'eta';
import { packageRoot } from '../../infra/package-root';

/** The console's templates (templates/console, shipped with the package and the image). */
export const CONSOLE_TEMPLATES = join(packageRoot(), 'templates', 'console');

export type Render = (view: string, data: Record<string, unknown>) => string;

/** Eta with escaping on by default (`<%=`); templates are compiled once and cached. */
export function createViews(): Render {
  const eta = new Eta({ views: CONSOLE_TEMPLATES, cache: true, autoEscape: true });
  return (view, data) => eta.render(`./${view}`, data);
}
