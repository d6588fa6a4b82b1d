import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Metrics } from '../infra/metrics';

const digest = (value: string) => createHash('sha256').update(value).digest();

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  // Digests of equal length, so the comparison takes the same time whatever was sent.
  return match !== null && timingSafeEqual(digest(match[1] as string), digest(token));
}

/**
 * Answers a scrape: the registry in the Prometheus text format. With a token, only a request carrying it as a
 * bearer token gets the metrics; anything else is 401 and learns nothing.
 */
export function serveMetrics(metrics: Metrics, token: string | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method not allowed.\n');
      return;
    }
    if (!authorized(req, token)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Content-Type': 'text/plain' }).end('A bearer token is required.\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
      () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Metrics could not be collected.\n'),
    );
  };
}

/** METRICS_PORT: a listener of its own that serves `/metrics` and nothing else (404). */
export async function listenForScrapes(metrics: Metrics, options: { host: string; port: number; token?: string }): Promise<Server> {
  const scrape = serveMetrics(metrics, options.token);
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] === '/metrics') return scrape(req, res);
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: metrics are at /metrics.\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}
