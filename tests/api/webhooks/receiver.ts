import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Respond = (req: ReceivedRequest, res: ServerResponse) => void;

export interface TestReceiver {
  /** http://127.0.0.1:<port>/hook */
  url: string;
  port: number;
  received: ReceivedRequest[];
  /** Changes how the next requests are answered. */
  respond(handler: Respond): void;
  close(): Promise<void>;
}

export const answer =
  (status: number, body = '', headers: Record<string, string> = {}): Respond =>
  (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };

/** Never answers: the request hangs until the client gives up. */
export const hang: Respond = () => undefined;

/** A real HTTP server on 127.0.0.1 that records every request it gets, for webhooks to be delivered to. */
export async function startReceiver(handler: Respond = answer(200, 'ok')): Promise<TestReceiver> {
  let current = handler;
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      current(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    respond: (next) => (current = next),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
