import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, Request, RequestHandler, Response } from 'express';

export interface CachedBody {
  etag: string;
  /** JSON bytes. */
  body: Buffer;
  /** The route template that stored it, for the access log and metrics. */
  route?: string;
}

export interface FastLaneOptions {
  /** The middleware every response passes through (request id, access log, security headers, CORS), in order. */
  front: RequestHandler[];
  /** Further checks a request must pass before the cache is consulted (e.g. the allowed hosts). */
  guards: RequestHandler[];
  /** The cached body for this request, or undefined. */
  lookup(req: Request): Promise<CachedBody | undefined>;
}

/** Runs middleware in order; `done(true)` when all of them called next() without an error (as Express, a falsy argument is none). */
function runChain(chain: RequestHandler[], req: Request, res: Response, done: (passed: boolean) => void): void {
  const step = (index: number, error?: unknown): void => {
    if (error) return done(false);
    const handler = chain[index];
    if (!handler) return done(true);
    try {
      void handler(req, res, (nextError?: unknown) => step(index + 1, nextError));
    } catch {
      done(false);
    }
  };
  step(0);
}

/**
 * Serves read-cache hits before the router: a GET or HEAD without credentials whose exact cache entry exists
 * is answered by the same front middleware (so headers and the access log are identical), then the cached
 * bytes. Everything else, and any miss, goes through the Express app unchanged. Entries are only ever
 * stored by the app itself for 200 responses, so the lane needs no knowledge of routes.
 * @returns a request listener for node:http
 */
export interface FastLaneStats {
  /** Hits answered by the lane. */
  served: number;
  /** Eligible requests handed to the app (misses, refused hosts, non-JSON Accept). */
  passedOn: number;
}

export type FastLaneListener = ((req: IncomingMessage, res: ServerResponse) => void) & { stats: FastLaneStats };

export function withCacheFastLane(app: Express, options: FastLaneOptions): FastLaneListener {
  const stats: FastLaneStats = { served: 0, passedOn: 0 };
  const eligible = (req: IncomingMessage) =>
    (req.method === 'GET' || req.method === 'HEAD') && req.url?.startsWith('/api/v1/') === true && req.headers.authorization === undefined;

  const listener = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    if (!eligible(incoming)) return void app(incoming, outgoing);
    // Give the raw objects Express's request/response API, as the app itself does on entry.
    const req = Object.setPrototypeOf(incoming, app.request) as Request;
    const res = Object.setPrototypeOf(outgoing, app.response) as Response;
    Object.assign(req, { res, originalUrl: req.url });
    Object.assign(res, { req, locals: Object.create(null) as Record<string, unknown> });

    const fallBack = () => {
      stats.passedOn += 1;
      app(incoming, outgoing);
    };
    if (!req.accepts('application/json')) return fallBack();
    runChain(options.guards, req, res, (allowed) => {
      if (!allowed) return fallBack();
      options.lookup(req).then((hit) => {
        if (!hit) return fallBack();
        runChain(options.front, req, res, (passed) => {
          if (!passed) return fallBack();
          stats.served += 1;
          req.routeTemplate = hit.route;
          res.setHeader('X-Cache', 'HIT');
          res.setHeader('ETag', hit.etag);
          res.status(200).type('json').send(hit.body);
        });
      }, fallBack);
    });
  };
  return Object.assign(listener, { stats });
}
