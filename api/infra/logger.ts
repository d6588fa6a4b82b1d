import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

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

export type LogFormat = 'json' | 'pretty';

/**
 * LOG_FORMAT when set; otherwise readable lines for a person at a terminal, and JSON for everything else
 * (log shippers, files, containers), and always JSON in production unless asked.
 */
export function logFormatFor(setting: LogFormat | undefined, where: { tty: boolean; production: boolean }): LogFormat {
  return setting ?? (where.tty && !where.production ? 'pretty' : 'json');
}

/**
 * One readable line per entry: time, level, message, then the fields. Written synchronously on the caller's
 * stream (no worker thread), so a line is whole before anything else the process prints.
 */
function prettyStream(destination: DestinationStream | undefined, colorize: boolean): DestinationStream {
  return pinoPretty({
    destination: destination ?? 1,
    sync: true,
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
    messageFormat: '{if name}{name}: {end}{msg}',
  });
}

export function createLogger(options: { level: Level | 'silent'; name?: string; format?: LogFormat }, destination?: DestinationStream): Logger {
  // Colours only for a terminal, and never when NO_COLOR is set (https://no-color.org).
  const terminal = ((destination ?? process.stdout) as { isTTY?: boolean }).isTTY === true;
  const colorize = terminal && !('NO_COLOR' in process.env);
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
    options.format === 'pretty' ? prettyStream(destination, colorize) : destination,
  );
}
