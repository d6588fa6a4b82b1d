import type { RequestHandler } from 'express';
import type { ConsoleDeps } from './routes';
import { loadDashboard } from './dashboard';
import type { View } from './page';

export function dashboardPage(deps: ConsoleDeps, view: View): RequestHandler {
  return async (_req, res) => {
    const dashboard = await loadDashboard(deps.db, { lowStockThreshold: deps.lowStockThreshold, currency: deps.currency });
    view(res, 200, 'dashboard', 'dashboard', { title: 'Dashboard', dashboard });
  };
}
