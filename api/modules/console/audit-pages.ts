import type { Router } from 'express';
import { caseSensitiveRouter } from '../../http/router';
import type { ConsoleDeps } from './routes';
import type { View } from './page';
import { text } from './form-values';

const PAGE_SIZE = 100;
/** A before/after value as staff read it: one `field: value` per line, in name order. */
const fields = (value: Record<string, unknown> | null) =>
  value ? Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([name, field]) => `${name}: ${JSON.stringify(field)}`).join('\n') : '';
const integer = (value: string) => (/^[1-9]\d{0,15}$/.test(value) ? Number(value) : undefined);

/** The audit log, newest first, filtered and paged by id (read-only: nothing in the console edits it). */
export function auditPages(deps: ConsoleDeps, view: View): Router {
  const router = caseSensitiveRouter();
  router.get('/', async (req, res) => {
    const query = { action: text(req.query.action, 64), resource_type: text(req.query.resource_type, 64), resource_id: text(req.query.resource_id, 64), actor_id: text(req.query.actor_id, 64) };
    const entries = await deps.audit.list({
      action: query.action || undefined,
      resourceType: query.resource_type || undefined,
      resourceId: query.resource_id || undefined,
      actorId: integer(query.actor_id),
      beforeId: integer(text(req.query.before, 64)),
      limit: PAGE_SIZE,
    });
    const last = entries.at(-1);
    const next = entries.length === PAGE_SIZE && last ? `/admin/audit/?${new URLSearchParams({ ...query, before: String(last.id) }).toString()}` : undefined;
    view(res, 200, 'audit', 'audit', { title: 'Audit log', query, entries: entries.map((entry) => ({ ...entry, created_at: new Date(entry.created_at).toISOString(), before: fields(entry.before), after: fields(entry.after) })), next });
  });
  return router;
}
