export { AuditLog, apiActor } from './audit-log';
export type { Actor, AuditEntry, AuditFilter, AuditRecord } from './audit-log';
