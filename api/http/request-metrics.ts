import type { RequestHandler } from 'express';
import type { Metrics } from '../infra/metrics';
import { routeOf } from './route-template';

/** Methods counted by name; anything else (WebDAV verbs from scanners) is `other`, so the label set stays bounded. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const CACHE_OUTCOMES: Record<string, string> = { HIT: 'hit', MISS: 'miss', BYPASS: 'bypass' };

/**
 * RED metrics per route template: every finished response counts once, by method, route and status class, and
 * its duration goes to the histogram. A request the client abandoned is not counted (the access log has it).
 * The read cache's outcome is read from the `X-Cache` header both the router and the fast lane set.
 */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const method = METHODS.has(req.method) ? req.method : 'other';
      const route = routeOf(req);
      metrics.httpRequests.inc({ method, route, status_class: `${Math.floor(res.statusCode / 100)}xx` });
      metrics.httpDuration.observe({ method, route }, Number(process.hrtime.bigint() - started) / 1e9);
      const cache = CACHE_OUTCOMES[String(res.getHeader('X-Cache'))];
      if (cache) metrics.cacheRequests.inc({ outcome: cache });
    });
    next();
  };
}
