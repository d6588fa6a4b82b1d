export { recordEvent, type NewEvent } from './outbox';
export { EVENT_TYPES, EVENT_API_VERSION, MAILED_EVENTS, type EventType, type EventEnvelope, type EventRow } from './types';
export { afterFailure, retryDelayMs, type AttemptResult, type RetryPolicy } from './retry';
export { OutboxRelay, jobIds, type WebhookFanout } from './relay';
export { RelayLoop, outboxState, HEARTBEAT_STALE_SECONDS, OUTBOX_LAG_LIMIT_SECONDS, type OutboxState } from './relay-loop';
