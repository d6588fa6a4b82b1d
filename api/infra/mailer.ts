import type * as Nodemailer from 'nodemailer';
import type { Logger } from './logger';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Outgoing mail. Implementations must not throw for delivery problems they can only log. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export class SmtpMailer implements Mailer {
  private readonly transport: Nodemailer.Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    // Loaded only when SMTP is configured: nodemailer is large and most processes never send mail.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodemailer = require('nodemailer') as typeof Nodemailer;
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...message });
  }
}

/** Development transport: the whole message goes to the log so a developer can follow reset links. */
export class LogMailer implements Mailer {
  constructor(private readonly logger: Logger) {}

  async send(message: MailMessage): Promise<void> {
    this.logger.info({ mail: { to: message.to, subject: message.subject, body: message.text } }, 'mail not sent (MAIL_TRANSPORT=log)');
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
