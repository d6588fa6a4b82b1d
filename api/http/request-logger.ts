import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../infra/logger';

/**
 * One access-log line per request. Headers and bodies are never logged (they carry tokens and passwords);
 * the line has the method, path, status, duration, client IP and, when authenticated, the user id.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as IncomingMessage & { id: string }).id,
    quietReqLogger: true,
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req: { method: string; url: string; raw: IncomingMessage & { ip?: string } }) => ({
        method: req.method,
        url: req.url,
        ip: req.raw.ip,
      }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customProps: (req: IncomingMessage & { auth?: { user: { id: number } } }, _res: ServerResponse) =>
      req.auth ? { userId: req.auth.user.id } : {},
  });
}
