export { AuditLog } from './audit-log';
export type { Actor, AuditEntry, AuditFilter, AuditRecord } from './audit-log';
