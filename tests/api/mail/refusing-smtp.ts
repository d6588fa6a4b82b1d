import { createServer, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface RefusingSmtp {
  url: string;
  /** How many messages it was offered (each one refused at RCPT TO). */
  offered(): number;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback that refuses every recipient with `code` (451: try again later; 550: mailbox
 * unavailable, for good), as a greylisting or a bouncing server does.
 */
export async function startRefusingSmtp(code: number, text: string): Promise<RefusingSmtp> {
  let offered = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onRcptTo(_address, _session, callback) {
      offered += 1;
      callback(Object.assign(new Error(text), { responseCode: code }));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    offered: () => offered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An smtp:// URL on a loopback port where nothing listens (the port was free a moment ago). */
export async function deadSmtpUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `smtp://127.0.0.1:${port}`;
}
