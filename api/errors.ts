/**
 * Errors the API raises on purpose. The error handler renders them in the DRF shapes old clients parse:
 * `{"detail": "...", "code": "..."}` for request-level errors and `{"field": ["..."], "code": "..."}` for
 * validation. `code` is the stable, machine-readable part of the contract; messages may change.
 */

/**
 * Every `code` the API can answer with, and its HTTP status. Codes are a contract (documented in
 * docs/api/README.md, checked by a test); adding one means adding it here.
 */
export const ERROR_CODES = {
  invalid: 400,
  unique: 400,
  password_incorrect: 400,
  invalid_token: 400,
  invalid_host: 400,
  parse_error: 400,
  request_aborted: 400,
  own_review: 400,
  not_authenticated: 401,
  bad_authorization_header: 401,
  token_not_valid: 401,
  authentication_failed: 401,
  user_not_found: 401,
  user_inactive: 401,
  permission_denied: 403,
  purchase_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  payment_declined: 402,
  category_not_empty: 409,
  already_reported: 409,
  insufficient_stock: 409,
  quantity_limit: 409,
  product_unavailable: 409,
  invalid_transition: 409,
  already_paid: 409,
  payment_required: 409,
  too_many_unpaid_orders: 409,
  order_expired: 409,
  own_account: 409,
  idempotency_key_reused: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  throttled: 429,
  server_error: 500,
  payment_provider_error: 502,
  service_unavailable: 503,
  query_timeout: 503,
  media_storage_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A DRF-style field error map: field → messages, nested maps for objects and list items. */
export interface FieldErrors {
  [field: string]: string[] | FieldErrors;
}

export interface AppErrorOptions {
  status: number;
  code: ErrorCode;
  detail?: string;
  fields?: FieldErrors;
  /** Extra top-level members kept for clients of the old backend (e.g. its `error`/`message` keys). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly fields?: FieldErrors;
  readonly extra?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(options: AppErrorOptions) {
    super(options.detail ?? options.code, { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
    this.code = options.code;
    this.fields = options.fields;
    this.extra = options.extra;
    this.headers = options.headers;
  }

  /** The JSON body sent to the client. */
  toBody(): Record<string, unknown> {
    if (this.fields) return { ...this.fields, code: this.code };
    return { detail: this.message, code: this.code, ...this.extra };
  }
}

export class ValidationError extends AppError {
  constructor(fields: FieldErrors, code: ErrorCode = 'invalid') {
    super({ status: 400, code, fields });
  }

  /** One message for one field, e.g. `ValidationError.field('email', 'Enter a valid email address.')`. */
  static field(field: string, message: string, code: ErrorCode = 'invalid'): ValidationError {
    return new ValidationError({ [field]: [message] }, code);
  }
}

/** 400 with a `detail` (plus the old backend's `error` key for the endpoints that used it). */
export class BadRequestError extends AppError {
  constructor(detail: string, code: ErrorCode, extra?: Record<string, unknown>) {
    super({ status: 400, code, detail, extra });
  }
}

export const WWW_AUTHENTICATE = 'Bearer realm="api"';

export class AuthenticationError extends AppError {
  constructor(detail = 'Authentication credentials were not provided.', code: ErrorCode = 'not_authenticated', extra?: Record<string, unknown>) {
    super({ status: 401, code, detail, extra, headers: { 'WWW-Authenticate': WWW_AUTHENTICATE } });
  }
}

/** simplejwt's 401 for a bad token, with its `messages` list so old clients keep parsing it. */
export class InvalidTokenError extends AuthenticationError {
  constructor(message: 'Token is invalid' | 'Token is expired' | 'Token has wrong type' | 'Token is blacklisted', tokenType: 'access' | 'refresh') {
    const forAccess = tokenType === 'access';
    super(forAccess ? 'Given token not valid for any token type' : message, 'token_not_valid', forAccess
      ? { messages: [{ token_class: 'AccessToken', token_type: 'access', message }] }
      : undefined);
  }
}

export class PermissionDeniedError extends AppError {
  constructor(detail = 'You do not have permission to perform this action.', code: ErrorCode = 'permission_denied') {
    super({ status: 403, code, detail });
  }
}

export class NotFoundError extends AppError {
  constructor(detail = 'Not found.', code: ErrorCode = 'not_found', extra?: Record<string, unknown>) {
    super({ status: 404, code, detail, extra });
  }
}

/** Django's get_object_or_404 answer, which old clients show: `No Product matches the given query.` */
export function noMatch(model: string): NotFoundError {
  return new NotFoundError(`No ${model} matches the given query.`);
}

export class ConflictError extends AppError {
  constructor(detail: string, code: ErrorCode, extra?: Record<string, unknown>) {
    super({ status: 409, code, detail, extra });
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(method: string, allowed: string[]) {
    super({ status: 405, code: 'method_not_allowed', detail: `Method "${method}" not allowed.`, headers: { Allow: allowed.join(', ') } });
  }
}

export class ThrottledError extends AppError {
  constructor(retryAfterSeconds: number) {
    super({
      status: 429,
      code: 'throttled',
      detail: `Request was throttled. Expected available in ${retryAfterSeconds} seconds.`,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

const MEDIA_STORAGE_REASONS: Record<string, string> = {
  no_bucket: 'its bucket does not exist',
  credentials: 'the storage service rejected its credentials',
  access_denied: 'the storage service denied access to its bucket',
  unreachable: 'the storage service could not be reached',
};

/**
 * 503: the media store (MEDIA_STORAGE=s3) could not take or give a file. The client learns the kind of fault,
 * never the bucket, endpoint or key; the full reason is logged with the request.
 */
export class MediaStorageUnavailableError extends AppError {
  constructor(failure: { kind: string; message: string }, action: 'store' | 'read' = 'store') {
    const reason = MEDIA_STORAGE_REASONS[failure.kind] ?? 'the storage service refused the request';
    super({ status: 503, code: 'media_storage_unavailable', detail: `Image storage is unavailable: ${reason}.${action === 'store' ? ' Nothing was changed.' : ''}`, cause: failure });
  }
}
