import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger };

/** Per-request values every log line carries; filled by the request-context middleware. */
export interface RequestContext {
  requestId: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/**
 * Paths pino censors wherever they appear. Tokens, passwords and card details must never reach the logs,
 * even when a caller logs a whole object by mistake.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'password_confirm',
  '*.password_confirm',
  'old_password',
  '*.old_password',
  'new_password',
  '*.new_password',
  'new_password_confirm',
  '*.new_password_confirm',
  'token',
  '*.token',
  'access',
  '*.access',
  'refresh',
  '*.refresh',
  'refresh_token',
  '*.refresh_token',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  'secret',
  '*.secret',
  // Card details of a payment body (flat or in payment_details): never logged, not even by mistake.
  'payment_details',
  '*.payment_details',
  'card_number',
  '*.card_number',
  'cvv',
  '*.cvv',
];

export function createLogger(options: { level: Level | 'silent'; name?: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      name: options.name ?? 'nexus-api',
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: (object) => {
        const context = requestContext.getStore();
        return context && !('reqId' in object) ? { reqId: context.requestId } : {};
      },
    },
    destination,
  );
}
