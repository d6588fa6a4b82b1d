import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export const SIGNATURE_HEADER = 'X-Nexus-Signature';

/** How old a signature receivers should accept, by default (docs/webhooks.md): 5 minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmac(secret: string, body: string | Buffer, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/**
 * The value of X-Nexus-Signature for a body signed at `timestamp` (unix seconds). The timestamp is inside
 * the signed text, so a receiver that checks its age refuses a captured request replayed later.
 */
export function signPayload(secret: string, body: string | Buffer, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, body, timestamp)}`;
}

export interface VerifyInput {
  secret: string;
  /** The raw request body, exactly as received (not re-serialised JSON). */
  body: string | Buffer;
  /** The X-Nexus-Signature header. */
  header: string | undefined;
  toleranceSeconds?: number;
  /** Current unix time in seconds (tests). */
  now?: number;
}

/**
 * Whether the header signs this body with this secret, within the tolerance window. Every `v1` entry is
 * tried (room for a second signature while a secret is rotated); the comparison is constant-time.
 */
export function verifySignature({ secret, body, header, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, now = Math.floor(Date.now() / 1000) }: VerifyInput): boolean {
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmac(secret, body, timestamp), 'hex');
  return parts
    .filter(([key, value]) => key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value))
    .some(([, value]) => timingSafeEqual(Buffer.from(value as string, 'hex'), expected));
}
