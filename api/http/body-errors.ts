import { MulterError } from 'multer';
import { AppError } from '../errors';
import { fileTooLarge } from './images';

/** What body-parser (and raw-body, http-errors) put on the errors it raises. */
interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
  limit?: number;
}

const MALFORMED = 'Malformed request body.';

/**
 * A body-parser error as the client's 4xx. The known types keep their specific messages; any other error
 * body-parser marks as the client's fault (a 4xx `status`, e.g. a corrupt gzip body's zlib Z_DATA_ERROR or a
 * body shorter than its Content-Length) gets a generic answer of the same class, never the library's text.
 * @returns undefined for errors that are not the client's (a 5xx from body-parser is a server fault)
 */
export function fromBodyParser(error: BodyParserError): AppError | undefined {
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
    case 'request.size.invalid':
      return new AppError({ status: 400, code: 'parse_error', detail: 'Request body length did not match Content-Length.' });
    default:
      break;
  }
  // zlib's errors (gzip, deflate, brotli, zstd) carry a numeric errno; body-parser passes them on as 400s.
  if (typeof (error as { errno?: unknown }).errno === 'number' && error.expose === true) {
    return new AppError({ status: 400, code: 'parse_error', detail: 'The request body could not be decompressed (Content-Encoding).' });
  }
  // http-errors marks client errors `expose`; the router's URIError for a bad %-escape carries a status but not that.
  const status = error.status;
  if (error.expose !== true || status === undefined || status < 400 || status > 499) return undefined;
  if (status === 413) return new AppError({ status: 413, code: 'payload_too_large', detail: 'Request body is too large.' });
  if (status === 415) return new AppError({ status: 415, code: 'unsupported_media_type', detail: 'Unsupported request body encoding.' });
  return new AppError({ status: 400, code: 'parse_error', detail: MALFORMED });
}

export function fromMulter(error: MulterError): AppError {
  switch (error.code) {
    case 'LIMIT_FILE_SIZE':
      return fileTooLarge();
    case 'LIMIT_FIELD_VALUE':
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_FIELD_KEY':
    case 'LIMIT_PART_COUNT':
    case 'LIMIT_FILE_COUNT':
      return new AppError({ status: 413, code: 'payload_too_large', detail: `Multipart body is too large (${error.message.toLowerCase()}).` });
    default:
      return new AppError({ status: 400, code: 'parse_error', detail: `Multipart form parse error - ${error.message}` });
  }
}

/**
 * Errors of the multipart parser that are not MulterErrors come from busboy reading a malformed body
 * ("Unexpected end of form", a missing boundary, a corrupt part header): the client's fault, a 400.
 */
export function fromMultipart(error: unknown): unknown {
  if (error === undefined || error === null || error instanceof MulterError || error instanceof AppError) return error;
  return new AppError({ status: 400, code: 'parse_error', detail: 'Multipart form parse error - malformed body.' });
}
