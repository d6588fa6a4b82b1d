import type { ErrorRequestHandler, RequestHandler } from 'express';
import { MulterError } from 'multer';
import { AppError } from '../errors';
import type { Logger } from '../infra/logger';

/** Errors thrown by body-parser carry a `type`; they are the client's fault, never a 500. */
interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

function fromBodyParser(error: BodyParserError): AppError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new AppError({ status: 400, code: 'parse_error', detail: `JSON parse error - ${error.message}` });
    case 'entity.too.large':
      return new AppError({ status: 413, code: 'payload_too_large', detail: `Request body is too large (limit ${error.limit} bytes).` });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError({ status: 415, code: 'unsupported_media_type', detail: error.message });
    case 'parameters.too.many':
      return new AppError({ status: 413, code: 'payload_too_large', detail: 'Too many form parameters.' });
    case 'request.aborted':
      return new AppError({ status: 400, code: 'request_aborted', detail: 'Request aborted.' });
    default:
      return undefined;
  }
}

function fromMulter(error: MulterError): AppError {
  if (error.code === 'LIMIT_FILE_SIZE') return new AppError({ status: 413, code: 'payload_too_large', detail: 'The uploaded file is too large.' });
  const tooLarge = error.code === 'LIMIT_FIELD_VALUE' || error.code === 'LIMIT_FIELD_COUNT';
  if (tooLarge) return new AppError({ status: 413, code: 'payload_too_large', detail: 'Multipart body is too large.' });
  return new AppError({ status: 400, code: 'parse_error', detail: `Multipart form parse error - ${error.message}` });
}

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

/**
 * The single place errors become responses: known errors keep their status and code; everything else is
 * logged with the request id and answered with a generic 500 (no stack trace or SQL reaches the client).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known =
      error instanceof AppError
        ? error
        : error instanceof MulterError
          ? fromMulter(error)
          : error instanceof Error
            ? fromBodyParser(error)
            : undefined;
    const appError =
      known ??
      (isDependencyOutage(error)
        ? new AppError({ status: 503, code: 'service_unavailable', detail: 'Service temporarily unavailable.', headers: { 'Retry-After': '5' } })
        : new AppError({ status: 500, code: 'server_error', detail: 'A server error occurred.' }));
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
