import { AuthorityKeyIdentifierExtension, X509Certificate } from '@peculiar/x509';

/** The renewal window a CA suggests for one certificate (ACME Renewal Information, RFC 9773). */
export interface RenewalWindow {
  start: string;
  end: string;
  /** A page the CA links to explain an early window (e.g. an incident that forces revocation). */
  explanationURL?: string;
  /** When the CA asks to be polled again (its Retry-After), as an ISO time. */
  checkAgainAfter?: string;
}

/** The content octets of a DER INTEGER holding a positive serial given in hex (leading zero when the top bit is set). */
export function derSerialBytes(serialHex: string): Buffer {
  let hex = serialHex.replace(/[^0-9a-f]/gi, '').replace(/^(00)+/, '');
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = Buffer.from(hex || '00', 'hex');
  return (bytes[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

/** RFC 9773 §4.1: base64url(authority key identifier) "." base64url(DER serial), the certificate's name in ARI. */
export function renewalInfoId(leafPem: string): string {
  const leaf = new X509Certificate(leafPem);
  const keyId = leaf.getExtension(AuthorityKeyIdentifierExtension)?.keyId;
  if (!keyId) throw new Error('the certificate has no authority key identifier, so ARI cannot name it');
  return `${Buffer.from(keyId, 'hex').toString('base64url')}.${derSerialBytes(leaf.serialNumber).toString('base64url')}`;
}

function retryAfter(header: string | null, now: Date): string | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const at = Number.isFinite(seconds) ? new Date(now.getTime() + seconds * 1000) : new Date(header);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

export type RenewalInfoAnswer = { offered: false } | { offered: true; certificateId: string; window: RenewalWindow } | { offered: true; error: string };

/**
 * Asks the CA for the certificate's suggested renewal window. A CA without ARI (no `renewalInfo` in its
 * directory) answers `offered: false`; a CA whose ARI fails answers with the error, and the caller falls back
 * to the lifetime rule, as RFC 9773 tells clients to.
 */
export async function fetchRenewalInfo(directoryUrl: string, leafPem: string, now = new Date(), timeoutMs = 10_000): Promise<RenewalInfoAnswer> {
  let base: unknown;
  try {
    const directory = await fetch(directoryUrl, { signal: AbortSignal.timeout(timeoutMs) });
    base = ((await directory.json()) as { renewalInfo?: unknown }).renewalInfo;
  } catch (error) {
    return { offered: true, error: `the directory could not be read: ${(error as Error).message}` };
  }
  if (typeof base !== 'string') return { offered: false };
  try {
    const certificateId = renewalInfoId(leafPem);
    const response = await fetch(`${base.replace(/\/$/, '')}/${certificateId}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { offered: true, error: `renewalInfo answered HTTP ${response.status}` };
    const body = (await response.json()) as { suggestedWindow?: { start?: string; end?: string }; explanationURL?: string };
    const start = new Date(body.suggestedWindow?.start ?? '');
    const end = new Date(body.suggestedWindow?.end ?? '');
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start) return { offered: true, error: 'renewalInfo answered without a valid suggestedWindow' };
    const checkAgainAfter = retryAfter(response.headers.get('retry-after'), now);
    return {
      offered: true,
      certificateId,
      window: {
        start: start.toISOString(),
        end: end.toISOString(),
        ...(typeof body.explanationURL === 'string' ? { explanationURL: body.explanationURL } : {}),
        ...(checkAgainAfter ? { checkAgainAfter } : {}),
      },
    };
  } catch (error) {
    return { offered: true, error: (error as Error).message };
  }
}
