import { createHash, X509Certificate } from 'node:crypto';

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
  const jitter = (createHash('sha256').update(serial).digest().readUInt32BE(0) / 0xffffffff) * window * 0.1;
  return new Date(notAfter.getTime() - window - jitter);
}

export function certificateStatus(domain: string, pem: string, fraction: number, now = new Date()): CertificateStatus {
  const leaf = leafOf(pem);
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  const renewAt = renewalTime(notBefore, notAfter, leaf.serialNumber, fraction);
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
  };
}
