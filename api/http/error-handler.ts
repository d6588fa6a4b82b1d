import type { ErrorRequestHandler, RequestHandler } from 'express';
import { MulterError } from 'multer';
import { AppError, NotFoundError } from '../errors';
import { fromBodyParser, fromMulter } from './body-errors';
import type { Logger } from '../infra/logger';

const OUTAGE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P03']);

/** Database or Redis unreachable: the client should retry later, so 503 rather than a generic 500. */
function isDependencyOutage(error: unknown): boolean {
  // Duck-typed: errors raised by Node's net layer may come from another realm than this module's Error.
  if (typeof error !== 'object' || error === null) return false;
  const { name, message, code, nativeError, cause } = error as { name?: string; message?: string; code?: string; nativeError?: unknown; cause?: unknown };
  return (
    name === 'KnexTimeoutError' ||
    name === 'MaxRetriesPerRequestError' ||
    (code !== undefined && OUTAGE_CODES.has(code)) ||
    /Command timed out|Connection is closed|Connection terminated/.test(message ?? '') ||
    // objection wraps driver errors it does not recognise in a DBError that keeps the original.
    isDependencyOutage(nativeError) ||
    isDependencyOutage(cause)
  );
}

/** PostgreSQL's query_canceled: the statement ran past DATABASE_STATEMENT_TIMEOUT (or an operator cancelled it). */
const QUERY_CANCELED = '57014';

function isStatementTimeout(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, nativeError, cause } = error as { code?: string; nativeError?: unknown; cause?: unknown };
  return code === QUERY_CANCELED || isStatementTimeout(nativeError) || isStatementTimeout(cause);
}

/** Failures of the API's dependencies, which the client should retry later: 503 with Retry-After. */
function fromDependency(error: unknown): AppError | undefined {
  if (isStatementTimeout(error)) {
    return new AppError({ status: 503, code: 'query_timeout', detail: 'The request took too long to answer; try again later.', headers: { 'Retry-After': '5' } });
  }
  if (isDependencyOutage(error)) {
    return new AppError({ status: 503, code: 'service_unavailable', detail: 'Service temporarily unavailable.', headers: { 'Retry-After': '5' } });
  }
  return undefined;
}

/**
 * The single place errors become responses: known errors keep their status and code; everything else is
 * logged with the request id and answered with a generic 500 (no stack trace or SQL reaches the client).
 * A path parameter that is not valid percent-encoding (the router's URIError) names nothing: 404.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known =
      error instanceof AppError
        ? error
        : error instanceof MulterError
          ? fromMulter(error)
          : error instanceof URIError
            ? new NotFoundError()
            : error instanceof Error
              ? fromBodyParser(error)
              : undefined;
    const appError = known ?? fromDependency(error) ?? new AppError({ status: 500, code: 'server_error', detail: 'A server error occurred.' });
    if (appError.status >= 500) logger.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [name, value] of Object.entries(appError.headers ?? {})) res.setHeader(name, value);
    res.status(appError.status).json(appError.toBody());
  };
}

export function notFoundHandler(): RequestHandler {
  return (_req, res) => {
    res.status(404).json({ detail: 'Not found.', code: 'not_found' });
  };
}
