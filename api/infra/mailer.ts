import type * as Nodemailer from 'nodemailer';
import type { Logger } from './logger';

export interface MailMessage {
  to: string;
  subject: string;
  /** The plain text part; every message has one. */
  text: string;
  /** An HTML alternative to `text` (sent as multipart/alternative). */
  html?: string;
  replyTo?: string;
  /** Extra headers (`Message-ID`, `Auto-Submitted`, `X-…`); a `Message-ID` here replaces the generated one. */
  headers?: Record<string, string>;
}

/**
 * A message the mail server did not take. `permanent` when sending it again cannot help (the server refused it
 * with a 5xx reply, or the message itself is unsendable); otherwise a later attempt may succeed.
 */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly responseCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MailDeliveryError';
  }
}

/** Outgoing mail. */
export interface Mailer {
  /**
   * Hands the message to the transport.
   * @throws {MailDeliveryError} when it was not accepted: callers decide whether to retry, log or answer with it
   */
  send(message: MailMessage): Promise<void>;
}

interface SmtpError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
}

/**
 * Sorts a nodemailer failure: a 5xx reply is final for this message, a 4xx reply (greylisting, mailbox busy),
 * a lost connection or a timeout is worth another try. An authentication refusal is retried although it is a 5xx:
 * it is about our credentials, not the message, and once SMTP_URL is fixed the mail can still go out.
 */
export function smtpFailure(error: unknown): MailDeliveryError {
  const failure = (error ?? {}) as SmtpError;
  const code = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const detail = (failure.response ?? failure.message ?? String(error)).replace(/\s+/g, ' ').trim();
  const permanent = failure.code !== 'EAUTH' && (code !== undefined ? code >= 500 : failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE');
  const kind = code !== undefined ? `SMTP ${code}` : (failure.code ?? 'SMTP error');
  return new MailDeliveryError(`${kind}: ${detail}`, permanent, code, { cause: error });
}

// Bounded waits, so that a stalled server ties up a worker slot for a minute, not nodemailer's default ten.
// Query parameters of SMTP_URL (e.g. `?socketTimeout=120000`) override them.
const TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 };

export class SmtpMailer implements Mailer {
  private readonly transport: Nodemailer.Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    // Loaded only when SMTP is configured: nodemailer is large and most processes never send mail.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodemailer = require('nodemailer') as typeof Nodemailer;
    this.transport = nodemailer.createTransport({ url: smtpUrl, ...TIMEOUTS });
  }

  async send(message: MailMessage): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.from, ...message });
    } catch (error) {
      throw smtpFailure(error);
    }
  }
}

/**
 * Development transport: nothing is sent; the message goes to the log (recipient, subject and the text part,
 * links included) so that `nexus dev` shows each mail as it would have gone out.
 */
export class LogMailer implements Mailer {
  constructor(private readonly logger: Logger) {}

  async send(message: MailMessage): Promise<void> {
    const messageId = message.headers?.['Message-ID'];
    this.logger.info(
      { mail: { to: message.to, subject: message.subject, ...(messageId ? { messageId } : {}), text: message.text } },
      `mail to ${message.to}: "${message.subject}" (not sent: MAIL_TRANSPORT=log)`,
    );
  }
}

export class DisabledMailer implements Mailer {
  constructor(private readonly logger: Logger) {}

  async send(message: MailMessage): Promise<void> {
    this.logger.warn({ subject: message.subject }, 'mail dropped (MAIL_TRANSPORT=disabled)');
  }
}

export function createMailer(config: { transport: 'smtp' | 'log' | 'disabled'; smtpUrl?: string; from: string }, logger: Logger): Mailer {
  if (config.transport === 'smtp' && config.smtpUrl) return new SmtpMailer(config.smtpUrl, config.from);
  if (config.transport === 'log') return new LogMailer(logger);
  return new DisabledMailer(logger);
}
