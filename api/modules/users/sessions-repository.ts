import type { Knex } from 'knex';
import { raw } from 'objection';
import { AuthSession, RefreshToken } from './model';

export interface RefreshTokenState {
  jti: string;
  session_id: string;
  user_id: number;
  rotated_at: string | null;
  expired: boolean;
  session_revoked: boolean;
}

export type RevocationReason = 'logout' | 'reuse_detected' | 'password_changed' | 'password_reset' | 'deactivated';

/** Sessions (one per login) and the refresh tokens rotation derives from them. */
export class SessionRepository {
  constructor(private readonly db: Knex) {}

  async createSession(
    session: { id: string; user_id: number; user_agent?: string; ip_address?: string },
    trx: Knex.Transaction,
  ): Promise<void> {
    await AuthSession.query(trx).insert({
      ...session,
      user_agent: session.user_agent?.slice(0, 512) ?? null,
      ip_address: session.ip_address?.slice(0, 64) ?? null,
    });
  }

  async addRefreshToken(token: { jti: string; session_id: string; expires_at: Date }, trx: Knex.Transaction): Promise<void> {
    await RefreshToken.query(trx).insert({ ...token, expires_at: token.expires_at.toISOString() });
  }

  /**
   * Reads a refresh token and locks its row until the transaction ends, so two refreshes of one token
   * are serialised: the second sees the first one's rotation and is treated as reuse.
   */
  async lockRefreshToken(jti: string, trx: Knex.Transaction): Promise<RefreshTokenState | undefined> {
    const row = await trx('refresh_tokens as t')
      .join('auth_sessions as s', 's.id', 't.session_id')
      .where('t.jti', jti)
      .forUpdate('t')
      .first<RefreshTokenState | undefined>(
        't.jti',
        't.session_id',
        's.user_id',
        't.rotated_at',
        trx.raw('t.expires_at <= now() AS expired'),
        trx.raw('s.revoked_at IS NOT NULL AS session_revoked'),
      );
    return row;
  }

  async markRotated(jti: string, sessionId: string, trx: Knex.Transaction): Promise<void> {
    await RefreshToken.query(trx).patch({ rotated_at: raw('now()') }).where('jti', jti);
    await AuthSession.query(trx).patch({ last_refreshed_at: raw('now()') }).where('id', sessionId);
  }

  async sessionOwner(sessionId: string): Promise<number | undefined> {
    const row = await AuthSession.query(this.db).findById(sessionId).select('user_id');
    return row?.user_id;
  }

  /** Revokes one session; returns its id when it was still active. */
  revokeSession(sessionId: string, reason: RevocationReason, trx?: Knex.Transaction): Promise<string[]> {
    return this.revokeWhere({ id: sessionId }, reason, trx);
  }

  /** Revokes every active session of a user; returns the ids that were revoked. */
  revokeAllForUser(userId: number, reason: RevocationReason, trx?: Knex.Transaction): Promise<string[]> {
    return this.revokeWhere({ user_id: userId }, reason, trx);
  }

  private async revokeWhere(where: Partial<Pick<AuthSession, 'id' | 'user_id'>>, reason: RevocationReason, trx?: Knex.Transaction): Promise<string[]> {
    const rows = await AuthSession.query(trx ?? this.db)
      .patch({ revoked_at: raw('now()'), revoked_reason: reason })
      .where(where)
      .whereNull('revoked_at')
      .returning('id');
    return (rows as unknown as { id: string }[]).map((row) => row.id);
  }
}
