import { createHash, X509Certificate } from 'node:crypto';
import type { RenewalWindow } from '../acme/renewal-info';

export interface CertificateStatus {
  domain: string;
  names: string[];
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  /** When `nexus ssl renew` will renew it (the renewal window's start, with this certificate's jitter). */
  renewAt: string;
  due: boolean;
  /** What set renewAt: the CA's ARI window, or the lifetime rule (no ARI, or the CA's ARI failed). */
  renewalBasis: 'ari' | 'lifetime';
  renewalWindow?: RenewalWindow;
  /** The certificate's ARI id, when the CA's window set the renewal time: its successor's order names it (`replaces`). */
  renewalInfoId?: string;
  /** Why the lifetime rule stood in for a CA that offers ARI. */
  renewalInfoError?: string;
}

/** A fraction in [0, 1) fixed by the serial: the same certificate lands on the same moment in every run. */
function serialFraction(serial: string): number {
  return createHash('sha256').update(serial).digest().readUInt32BE(0) / 0x1_0000_0000;
}

/** The first certificate of a PEM bundle (the leaf of a fullchain). */
export function leafOf(pem: string): X509Certificate {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error('no certificate in the PEM text');
  return new X509Certificate(match[0]);
}

/**
 * Renew once less than `fraction` of the lifetime is left (a third by default, as certbot and Let's
 * Encrypt advise), moved earlier by up to a tenth of that window. The jitter comes from the serial, so a
 * certificate keeps its date across runs while a fleet's renewals spread out instead of hitting the CA at once.
 */
export function renewalTime(notBefore: Date, notAfter: Date, serial: string, fraction: number): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const window = lifetime * fraction;
  const jitter = serialFraction(serial) * window * 0.1;
  return new Date(notAfter.getTime() - window - jitter);
}

/**
 * RFC 9773 §4.2: a point chosen uniformly within the CA's window; derived from the serial rather than drawn
 * anew, so that a daily job does not renew on one run's dice roll and skip on the next.
 */
export function timeInWindow(window: RenewalWindow, serial: string): Date {
  const start = Date.parse(window.start);
  return new Date(start + serialFraction(serial) * (Date.parse(window.end) - start));
}

export type RenewalInfo = { window: RenewalWindow; certificateId: string } | { error: string } | undefined;

export function certificateStatus(domain: string, pem: string, fraction: number, now = new Date(), renewalInfo: RenewalInfo = undefined): CertificateStatus {
  const leaf = leafOf(pem);
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  const ari = renewalInfo && 'window' in renewalInfo ? renewalInfo : undefined;
  const window = ari?.window;
  const renewAt = window ? timeInWindow(window, leaf.serialNumber) : renewalTime(notBefore, notAfter, leaf.serialNumber, fraction);
  const names = (leaf.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
  const issuer = /CN=([^\n]+)/.exec(leaf.issuer)?.[1] ?? leaf.issuer;
  return {
    domain,
    names,
    issuer,
    serial: leaf.serialNumber,
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
    renewAt: renewAt.toISOString(),
    due: now >= renewAt,
    renewalBasis: window ? 'ari' : 'lifetime',
    ...(ari ? { renewalWindow: ari.window, renewalInfoId: ari.certificateId } : {}),
    ...(renewalInfo && 'error' in renewalInfo ? { renewalInfoError: renewalInfo.error } : {}),
  };
}
