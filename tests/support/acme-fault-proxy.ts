import { readFileSync } from 'node:fs';
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

export interface FaultProxy {
  directoryUrl: string;
  /** Every request seen, with the time and whether a fault answered it. */
  log: { at: number; method: string; path: string; fault?: number }[];
  close(): Promise<void>;
}

/**
 * An HTTPS proxy in front of Pebble that answers some requests itself: rate limits (429 with Retry-After),
 * bursts of badNonce, 5xx. Pebble builds its URLs from the Host header, so every URL it hands out points back
 * at the proxy and the client never bypasses it.
 */
export async function startFaultProxy(upstream: string, tls: { cert: string; key: string; ca: string }, faults: Fault[]): Promise<FaultProxy> {
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
    log.push({ at: Date.now(), method: req.method ?? '', path, fault: index >= 0 ? index : undefined });
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
    const upstreamRequest = request({ host: target.hostname, port: target.port, path, method: req.method, headers: req.headers, ca }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstreamRequest.on('error', (error) => res.writeHead(502).end(error.message));
    req.pipe(upstreamRequest);
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
