import type { RequestHandler } from 'express';
import type { Metrics } from '../infra/metrics';
import { routeOf } from './route-template';

/** Methods counted by name; anything else (WebDAV verbs from scanners) is `other`, so the label set stays bounded. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const CACHE_OUTCOMES = { HIT: 'hit', MISS: 'miss', BYPASS: 'bypass' } as const;

interface Series {
  count: { inc(): void };
  duration: { observe(seconds: number): void };
}

/**
 * RED metrics per route template: every finished response counts once, by method, route and status class, and
 * its duration goes to the histogram. A request the client abandoned is not counted (the access log has it).
 * The read cache's outcome is read from the `X-Cache` header both the router and the fast lane set.
 */
export function requestMetrics(metrics: Metrics): RequestHandler {
  // Each label combination's children, found by one string key: prom-client would hash the label object on every
  // request. The keys are as bounded as the labels.
  const series = new Map<string, Series>();
  const cacheOutcomes = new Map(Object.entries(CACHE_OUTCOMES).map(([header, outcome]) => [header, metrics.cacheRequests.labels({ outcome })]));
  const seriesOf = (method: string, route: string, statusClass: string): Series => {
    const key = `${method} ${route} ${statusClass}`;
    let found = series.get(key);
    if (!found) {
      found = { count: metrics.httpRequests.labels({ method, route, status_class: statusClass }), duration: metrics.httpDuration.labels({ method, route }) };
      series.set(key, found);
    }
    return found;
  };
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const method = METHODS.has(req.method) ? req.method : 'other';
      const { count, duration } = seriesOf(method, routeOf(req), `${Math.floor(res.statusCode / 100)}xx`);
      count.inc();
      duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      cacheOutcomes.get(String(res.getHeader('X-Cache')))?.inc();
    });
    next();
  };
}
