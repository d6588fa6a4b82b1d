/**
 * Examples for the OpenAPI document: a shop's fulfilment service listening for paid and shipped orders.
 * Checked against their schemas by tests/api/docs/openapi-examples.test.ts.
 */

export const subscriptionBodyExample = {
  url: 'https://fulfilment.example.com/hooks/nexus',
  events: ['order.paid', 'order.shipped'],
  description: 'Fulfilment service',
};

export const subscriptionPatchExample = { events: ['order.paid', 'order.shipped', 'order.cancelled'], is_active: true };

export const subscriptionExample = {
  id: 3,
  url: 'https://fulfilment.example.com/hooks/nexus',
  events: ['order.paid', 'order.shipped'],
  description: 'Fulfilment service',
  is_active: true,
  consecutive_failures: 0,
  disabled_at: null,
  disabled_reason: null,
  created_at: '2026-12-08T09:30:12.048211Z',
  updated_at: '2026-12-08T09:30:12.048211Z',
};

export const subscriptionWithSecretExample = { ...subscriptionExample, secret: 'whsec_q3Vx0Zb8m2JkT5yLr9WcE1uHn6PaSd4Gf7Ko0Qi2Xv8' };

export const deliveryExample = {
  id: 41,
  subscription_id: 3,
  event_id: '6f1c2a9e-3b7d-4e58-9a41-0c2d8e5b7f13',
  event_type: 'order.paid',
  status: 'retrying',
  attempts: 2,
  last_status_code: 503,
  last_error: 'HTTP 503',
  last_latency_ms: 412,
  response_excerpt: '{"error":"maintenance"}',
  first_attempt_at: '2026-12-08T10:02:00.120000Z',
  next_attempt_at: '2026-12-08T10:03:31.870000Z',
  completed_at: null,
  replay_requested_at: null,
  created_at: '2026-12-08T10:01:59.981337Z',
};

export const attemptExample = {
  attempt: 2,
  started_at: '2026-12-08T10:02:31.502000Z',
  status_code: 503,
  error: 'HTTP 503',
  latency_ms: 412,
  response_excerpt: '{"error":"maintenance"}',
  outcome: 'retry',
};

export const eventEnvelopeExample = {
  id: '6f1c2a9e-3b7d-4e58-9a41-0c2d8e5b7f13',
  type: 'order.paid',
  created_at: '2026-12-08T10:01:59.981337Z',
  api_version: 'v1',
  data: { object: { id: 1042, status: 'paid', payment_status: 'paid', total_amount: '46.98', currency: 'USD' }, previous_status: 'pending' },
};

export const deliveryDetailExample = {
  ...deliveryExample,
  event: eventEnvelopeExample,
  attempt_log: [{ ...attemptExample, attempt: 1, started_at: '2026-12-08T10:02:00.120000Z', latency_ms: 388 }, attemptExample],
};

export const testEventExample = { event_id: '0d5e8b61-7c2f-4a93-b1e4-5f6a7b8c9d01' };

export const replayExample = { ...deliveryExample, status: 'pending', replay_requested_at: '2026-12-08T11:15:40.220931Z' };
