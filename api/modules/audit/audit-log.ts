import type { Knex } from 'knex';

/** Who made a change, and through which door. `id` is absent for an operator at the CLI (named by `label`). */
export interface Actor {
  id?: number;
  label: string;
  source: 'console' | 'api' | 'cli';
}

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId: string | number;
  before?: object | null;
  after?: object | null;
}

export interface AuditRecord {
  id: number;
  created_at: string;
  actor_id: number | null;
  actor: string;
  source: Actor['source'];
  action: string;
  resource_type: string;
  resource_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface AuditFilter {
  actorId?: number;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  /** Only entries older than this id (keyset pagination: newest first). */
  beforeId?: number;
  limit?: number;
}

/** The audit_log table: written in the same transaction as the change it records, read newest first. */
export class AuditLog {
  constructor(private readonly db: Knex) {}

  async record(trx: Knex.Transaction, actor: Actor, entry: AuditEntry): Promise<void> {
    await trx('audit_log').insert({
      actor_id: actor.id ?? null,
      actor: actor.label.slice(0, 254),
      source: actor.source,
      action: entry.action,
      resource_type: entry.resourceType,
      resource_id: String(entry.resourceId),
      before: entry.before ? JSON.stringify(entry.before) : null,
      after: entry.after ? JSON.stringify(entry.after) : null,
    });
  }

  async list(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    // A NUL matches nothing (PostgreSQL text holds none) and would be refused by the driver: no rows.
    if ([filter.action, filter.resourceType, filter.resourceId].some((value) => value?.includes('\u0000'))) return [];
    return this.db('audit_log')
      .modify((query) => {
        if (filter.actorId !== undefined) query.where('actor_id', filter.actorId);
        if (filter.action) query.where('action', filter.action);
        if (filter.resourceType) query.where('resource_type', filter.resourceType);
        if (filter.resourceId) query.where('resource_id', filter.resourceId);
        if (filter.beforeId !== undefined) query.where('id', '<', filter.beforeId);
      })
      .orderBy('id', 'desc')
      .limit(Math.min(filter.limit ?? 50, 500))
      .select<AuditRecord[]>('*')
      .then((rows) => rows.map((row) => ({ ...row, id: Number(row.id), actor_id: row.actor_id === null ? null : Number(row.actor_id) })));
  }
}

/** The caller of a staff API route, as the audit log records it. */
export function apiActor(auth: { user: { id: number; email: string } }): Actor & { id: number } {
  return { id: auth.user.id, label: auth.user.email, source: 'api' };
}
