import type { Knex } from 'knex';
import { resetLinkConfig } from '../../api/config';
import { AppError } from '../../api/errors';
import { AuditLog, type Actor } from '../../api/modules/audit';
import { SessionRepository, UserAdminService } from '../../api/modules/users';
import type { Mailer, MailMessage } from '../../api/infra/mailer';
import { SmtpMailer } from '../../api/infra/mailer';
import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import { operatorName } from './deploy-lock';

/** The operator at the CLI, as the audit log names them: NEXUS_OPERATOR, else user@machine. */
export function cliActor(env: NodeJS.ProcessEnv = process.env): Actor {
  return { label: `cli:${operatorName(env)}`, source: 'cli' };
}

/**
 * How `users reset-password` sends the link, by the API's own mail settings: SMTP when configured; with
 * MAIL_TRANSPORT=log (the development default) the message is written to `write` for the operator to pass
 * on; with mail disabled there is no way to send it, which is refused before anything is issued.
 */
export function cliMailer(write: (text: string) => void, env: NodeJS.ProcessEnv = process.env): { mailer: Mailer; urlTemplate: string; ttlSeconds: number } {
  // A bad setting is a ConfigError: exit 3, each problem named.
  const { mail, passwordReset } = resetLinkConfig(env);
  if (mail.transport === 'disabled') {
    throw new NexusError('Mail is disabled (MAIL_TRANSPORT=disabled, or production without SMTP_URL): the reset link cannot be sent.', {
      code: 'MAIL_DISABLED',
      exitCode: ExitCode.CONFIG,
      suggestions: ['set SMTP_URL (and MAIL_FROM) in the environment, as the API has them'],
    });
  }
  const mailer: Mailer =
    mail.transport === 'smtp' && mail.smtpUrl
      ? new SmtpMailer(mail.smtpUrl, mail.from)
      : { send: async (message: MailMessage) => write(`Mail not sent (MAIL_TRANSPORT=log); pass it on:\nTo: ${message.to}\nSubject: ${message.subject}\n\n${message.text}`) };
  return { mailer, ...passwordReset };
}

/** The users module's staff powers on this database, audited as the CLI operator. */
export function userAdmin(db: Knex, mail?: ReturnType<typeof cliMailer>): UserAdminService {
  const refuse: Mailer = { send: () => Promise.reject(new Error('no mailer')) };
  return new UserAdminService({
    db,
    sessions: new SessionRepository(db),
    audit: new AuditLog(db),
    resetLinks: { db, mailer: mail?.mailer ?? refuse, urlTemplate: mail?.urlTemplate ?? '', ttlSeconds: mail?.ttlSeconds ?? 0 },
  });
}

/** The service's refusals as CLI errors: an unknown user exits 1 with USER_NOT_FOUND, a refused change 5. */
export function asCliError(error: unknown): never {
  if (error instanceof AppError) {
    const body = error.toBody() as { detail?: string; code?: string };
    if (error.status === 404) throw new NexusError(body.detail ?? 'No such user.', { code: 'USER_NOT_FOUND', suggestions: ['`nexus users list --search <text>` finds users'] });
    if (error.status === 409) throw new NexusError(body.detail ?? 'Refused.', { code: 'REFUSED', exitCode: ExitCode.REFUSED });
  }
  throw error;
}
