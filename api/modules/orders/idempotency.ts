import { createHmac } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, ValidationError } from '../../errors';

/** How long a key's first answer is kept for replays (Stripe keeps 24 hours too). */
const KEY_LIFETIME = "interval '24 hours'";
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentRequest {
  userId: number;
  /** What the key is for, e.g. `orders.create` or `orders.17.payment`: one key may serve several operations. */
  scope: string;
  /** The `Idempotency-Key` header, if the client sent one. */
  key: string | undefined;
  body: unknown;
}

export interface StoredReply {
  status: number;
  body: unknown;
  /** True when this is the first answer played back for a retry. */
  replayed: boolean;
}

/** JSON with object keys sorted, so that the same body always hashes the same whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Digest of a request body, compared when a key comes back. */
export type RequestDigest = (body: unknown) => string;

/**
 * An HMAC of the canonical body under a key derived from a server secret. A payment body holds a card number
 * and CVV; a plain hash of it, stored for a day, could be brute-forced back to the card (card numbers have
 * little entropy). Without the secret the stored digest says nothing.
 */
export function idempotencyKeyReused(): AppError {
  return new AppError({ status: 422, code: 'idempotency_key_reused', detail: 'This Idempotency-Key was already used with a different request body.' });
}

export function requestDigest(serverSecret: string): RequestDigest {
  const key = createHmac('sha256', serverSecret).update('nexus idempotency request digest v1').digest();
  return (body) => createHmac('sha256', key).update(canonical(body ?? {})).digest('hex');
}

export function checkIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!KEY_PATTERN.test(key)) throw ValidationError.field('Idempotency-Key', 'Must be 1 to 255 visible ASCII characters (a UUID is a good choice).');
  return key;
}

/**
 * Runs `work` in one transaction with its idempotency key: the key row is inserted first, so a concurrent
 * request with the same key waits on it and then replays the answer the first one committed. An error rolls
 * back the key with everything else, so the client may retry the same key. A different body under the same
 * key is a client bug: 422.
 */
export async function idempotent(
  db: Knex,
  digest: RequestDigest,
  request: IdempotentRequest,
  work: (trx: Knex.Transaction) => Promise<{ status: number; body: unknown }>,
): Promise<StoredReply> {
  const key = checkIdempotencyKey(request.key);
  if (key === undefined) return { ...(await db.transaction(work)), replayed: false };
  const hash = digest(request.body);
  const identity = { user_id: request.userId, scope: request.scope, key };
  return db.transaction(async (trx) => {
    // Expired keys are forgotten as they are met, a few at a time, so the table stays small without a job.
    await trx('idempotency_keys').where(identity).andWhereRaw(`created_at < now() - ${KEY_LIFETIME}`).delete();
    await trx.raw(`DELETE FROM idempotency_keys WHERE id IN (SELECT id FROM idempotency_keys WHERE created_at < now() - ${KEY_LIFETIME} LIMIT 20)`);
    const inserted = await trx('idempotency_keys').insert({ ...identity, request_hash: hash }).onConflict(['user_id', 'scope', 'key']).ignore().returning<{ id: number }[]>('id');
    const id = inserted[0]?.id;
    if (id === undefined) {
      const first = await trx('idempotency_keys').where(identity).first<{ request_hash: string; response_status: number; response_body: string }>();
      if (first.request_hash !== hash) {
        throw idempotencyKeyReused();
      }
      return { status: first.response_status, body: JSON.parse(first.response_body) as unknown, replayed: true };
    }
    const reply = await work(trx);
    // Stored as JSON text (a text column): jsonb would reorder the keys, and a replay must be the first answer as sent.
    await trx('idempotency_keys').where({ id }).update({ response_status: reply.status, response_body: JSON.stringify(reply.body) });
    return { ...reply, replayed: false };
  });
}
