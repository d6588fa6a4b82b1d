import { NexusError } from '../errors';

/**
 * What the CA sends becomes file names (http-01 tokens in the webroot) and DNS names (dns-01 records): it is
 * checked here first, so that a hostile CA, or a wrong `tls.ca` URL, can neither write outside the webroot
 * nor slip commands into a DNS update.
 */

/** RFC 8555 §8.3: a token is base64url without padding. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** A dns-01 value is base64url of a SHA-256 digest (RFC 8555 §8.4): 43 characters. */
const DNS_VALUE = /^[A-Za-z0-9_-]{43}$/;

function refused(what: string): NexusError {
  return new NexusError(`the CA sent ${what}, which nexus refuses (is tls.ca a trusted ACME CA?)`, { code: 'ACME_REFUSED' });
}

/** The directory nginx serves http-01 tokens from. */
export function challengeDirectory(webroot: string): string {
  return `${webroot}/.well-known/acme-challenge`;
}

/** Where an http-01 token is served from: a file directly in the webroot's challenge directory. */
export function httpChallengeFile(webroot: string, token: string): string {
  if (!TOKEN.test(token)) throw refused(`an http-01 token that is not base64url (RFC 8555 §8.3): ${JSON.stringify(token.slice(0, 80))}`);
  return `${challengeDirectory(webroot)}/${token}`;
}

/**
 * The name an authorization is for, which must be one of those ordered (a wildcard's authorization names its
 * base domain, RFC 8555 §7.1.3). @returns the `_acme-challenge.` record name, with the trailing dot
 */
export function dnsChallengeName(identifier: string, ordered: readonly string[]): string {
  const names = new Set(ordered.map((name) => (name.startsWith('*.') ? name.slice(2) : name)));
  if (!names.has(identifier)) throw refused(`an authorization for ${JSON.stringify(identifier.slice(0, 80))}, which is not one of the names ordered (${[...names].join(', ')})`);
  return `_acme-challenge.${identifier}.`;
}

/** The TXT value of a dns-01 challenge, checked before it reaches a DNS provider. */
export function dnsChallengeValue(value: string): string {
  if (!DNS_VALUE.test(value)) throw refused(`a dns-01 value that is not a base64url SHA-256 digest: ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}
