import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Fault {
  /** Which requests it answers, e.g. `POST /order-plz`. */
  method: string;
  path: RegExp;
  /** How many matching requests it answers before letting them through (Infinity: all). */
  times: number;
  status: number;
  headers?: Record<string, string>;
  body?: object;
  /** Needs a fresh nonce from the CA (badNonce answers carry one, as real servers' do). */
  withNonce?: boolean;
}

/** What the proxy's ARI endpoint answers for a certificate id (Pebble 2.4 has no ARI of its own). */
export type RenewalInfoAnswer = (certificateId: string) => { status: number; body: object; headers?: Record<string, string> };

export interface FaultProxy {
  directoryUrl: string;
  /** Every request seen, with the time, whether a fault answered it, and a JWS request's decoded payload. */
  log: { at: number; method: string; path: string; fault?: number; payload?: Record<string, unknown> }[];
  close(): Promise<void>;
}

function jwsPayload(body: Buffer): Record<string, unknown> | undefined {
  try {
    const { payload } = JSON.parse(body.toString()) as { payload?: string };
    return payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An HTTPS proxy in front of Pebble that answers some requests itself: rate limits (429 with Retry-After),
 * bursts of badNonce, 5xx, with `renewalInfo` an ARI endpoint added to the directory, and with `rewrite` answers
 * changed as a hostile CA would send them. Pebble builds its
 * URLs from the Host header, so every URL it hands out points back at the proxy and the client never bypasses it.
 */
function addRenewalInfo(answer: IncomingMessage, res: ServerResponse, host: string): void {
  const chunks: Buffer[] = [];
  answer.on('data', (chunk: Buffer) => chunks.push(chunk));
  answer.on('end', () => {
    const directory = { ...(JSON.parse(Buffer.concat(chunks).toString()) as object), renewalInfo: `https://${host}/renewal-info` };
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(directory));
  });
}

/** Changes a JSON answer of the CA on its way to the client (a hostile CA); undefined leaves it as it is. */
export type Rewrite = (path: string, body: Record<string, unknown>) => Record<string, unknown> | undefined;

function rewritten(answer: IncomingMessage, res: ServerResponse, path: string, rewrite: Rewrite): void {
  const chunks: Buffer[] = [];
  answer.on('data', (chunk: Buffer) => chunks.push(chunk));
  answer.on('end', () => {
    const text = Buffer.concat(chunks);
    let body: Buffer = text;
    try {
      const changed = rewrite(path, JSON.parse(text.toString()) as Record<string, unknown>);
      if (changed) body = Buffer.from(JSON.stringify(changed));
    } catch {
      // not JSON: passed on as it is
    }
    res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'content-length': String(body.length) }).end(body);
  });
}

export async function startFaultProxy(upstream: string, tls: { cert: string; key: string; ca: string }, faults: Fault[], renewalInfo?: RenewalInfoAnswer, rewrite?: Rewrite): Promise<FaultProxy> {
  const target = new URL(upstream);
  const ca = readFileSync(tls.ca);
  const log: FaultProxy['log'] = [];
  const remaining = faults.map((fault) => fault.times);
  const nonce = () =>
    new Promise<string>((resolve, reject) => {
      request({ host: target.hostname, port: target.port, path: '/nonce-plz', method: 'HEAD', ca }, (res) => {
        res.resume();
        resolve(String(res.headers['replay-nonce'] ?? ''));
      })
        .on('error', reject)
        .end();
    });
  const server: Server = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    const path = req.url ?? '/';
    const index = faults.findIndex((fault, position) => (remaining[position] ?? 0) > 0 && fault.method === req.method && fault.path.test(path));
    const entry: FaultProxy['log'][number] = { at: Date.now(), method: req.method ?? '', path, fault: index >= 0 ? index : undefined };
    log.push(entry);
    if (index >= 0) {
      const fault = faults[index] as Fault;
      remaining[index] = (remaining[index] ?? 0) - 1;
      req.resume();
      void (fault.withNonce ? nonce() : Promise.resolve('')).then((fresh) => {
        res.writeHead(fault.status, { 'Content-Type': 'application/problem+json', ...(fresh ? { 'Replay-Nonce': fresh } : {}), ...fault.headers });
        res.end(JSON.stringify(fault.body ?? {}));
      });
      return;
    }
    const ari = renewalInfo && /^\/renewal-info\/([^/?]+)$/.exec(path);
    if (ari && req.method === 'GET') {
      const answer = renewalInfo(ari[1] as string);
      res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST') entry.payload = jwsPayload(body);
      const upstreamRequest = request({ host: target.hostname, port: target.port, path, method: req.method, headers: req.headers, ca }, (answer) => {
        if (renewalInfo && path === '/dir' && answer.statusCode === 200) return void addRenewalInfo(answer, res, req.headers.host ?? '');
        if (rewrite && String(answer.headers['content-type'] ?? '').includes('json')) return void rewritten(answer, res, path, rewrite);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstreamRequest.on('error', (error) => res.writeHead(502).end(error.message));
      upstreamRequest.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    directoryUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}/dir`,
    log,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
