import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { requestContext } from '../infra/logger';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id, also in the X-Request-ID response header and on every log line. */
    id: string;
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id: the caller's X-Request-ID when it is a plausible id (so a trace can cross the
 * proxy), otherwise a fresh UUID. The id is echoed in the response and added to every log line.
 */
export function requestIdMiddleware(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = requestId;
    res.setHeader('X-Request-ID', requestId);
    requestContext.run({ requestId }, next);
  };
}
