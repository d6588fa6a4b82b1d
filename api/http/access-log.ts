import type { RequestHandler } from 'express';
import type { Logger } from '../infra/logger';
import { routeOf } from './route-template';

/**
 * One line per request, written when the response is finished (or the client went away): method, path,
 * route template, status, duration, client IP, request id and, when authenticated, the user id. Headers and
 * bodies are never logged, since they carry tokens and passwords.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const fields = {
        reqId: req.id,
        method: req.method,
        url: req.originalUrl,
        route: routeOf(req),
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        ip: req.ip,
        ...(req.auth ? { userId: req.auth.user.id } : {}),
      };
      if (!res.writableFinished) logger.info({ ...fields, aborted: true }, 'request aborted');
      else if (res.statusCode >= 500) logger.error(fields, 'request failed');
      else logger.info(fields, 'request completed');
    });
    next();
  };
}
