export { recordEvent, type NewEvent } from './outbox';
export { EVENT_TYPES, EVENT_API_VERSION, MAILED_EVENTS, type EventType, type EventEnvelope, type EventRow } from './types';
export { afterFailure, retryDelayMs, type AttemptResult, type RetryPolicy } from './retry';
