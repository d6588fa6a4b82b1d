import type { Knex } from 'knex';

export type LoginAuditOutcome = 'bad_credentials' | 'locked' | 'refused_while_locked';

export interface LoginAuditEntry {
  userId: number | undefined;
  email: string;
  ip: string | undefined;
  outcome: LoginAuditOutcome;
}

/** The login_audit table: failed logins and lock-outs, each with its target account and client IP. */
export class LoginAuditRepository {
  constructor(
    private readonly db: Knex,
    private readonly retentionDays: number,
  ) {}

  async record(entry: LoginAuditEntry): Promise<void> {
    await this.db('login_audit').insert({ user_id: entry.userId ?? null, email: entry.email, client_ip: entry.ip?.slice(0, 64) ?? null, outcome: entry.outcome });
    // Rows past retention go a few at a time as new ones come, so the table stays bounded without a job.
    await this.db.raw(
      'DELETE FROM login_audit WHERE id IN (SELECT id FROM login_audit WHERE created_at < now() - make_interval(days => ?) ORDER BY created_at LIMIT 20)',
      [this.retentionDays],
    );
  }
}
