import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './components';

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  parsed: ParsedMail;
}

export interface SmtpReceiver {
  /** `smtp://127.0.0.1:<port>`, for the API's SMTP_URL. */
  url: string;
  port: number;
  /** Every message received so far, in arrival order. */
  messages(): ReceivedMail[];
  /** The messages received so far for one recipient. */
  mailsTo(recipient: string): ReceivedMail[];
  /**
   * Waits until more than `after` (default 0) messages for `recipient` have arrived and returns the newest;
   * pass the count seen before a request to wait for the mail that request sends.
   */
  waitForMail(recipient: string, options?: { after?: number; timeoutMs?: number }): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on a free loopback port that accepts every message without TLS or authentication and
 * keeps it, parsed, for assertions.
 */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (nodemailer would try it and reject the self-signed certificate), no AUTH.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          received.push({
            to: session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            parsed,
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const forRecipient = (recipient: string) => received.filter((mail) => mail.to.includes(recipient.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages: () => [...received],
    mailsTo: forRecipient,
    async waitForMail(recipient, { after = 0, timeoutMs = 10_000 } = {}) {
      await waitFor(`a mail to ${recipient}`, async () => forRecipient(recipient).length > after, timeoutMs);
      return forRecipient(recipient).at(-1) as ReceivedMail;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
