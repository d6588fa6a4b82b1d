import { promises as dns, type LookupAddress, type LookupOneOptions, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { judgeAddress } from './address-rules';

/** Resolves a host name to every address it has (injected in tests: a resolver on a test DNS server). */
export type ResolveHost = (host: string) => Promise<string[]>;

export const MAX_URL_LENGTH = 2048;

export const systemResolveHost: ResolveHost = async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

export interface UrlPolicy {
  /** WEBHOOK_ALLOW_HOSTS, lower-cased: may resolve to private addresses and use http in production. */
  allowHosts: string[];
  /** https only (production), except for the allowed hosts. */
  requireHttps: boolean;
}

/** A URL a webhook may not be sent to; `message` is shown to staff as the `url` field's error. */
export class UnsafeUrlError extends Error {
  readonly code = 'EUNSAFEURL';
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeUrlError';
  }
}

/** The host as WEBHOOK_ALLOW_HOSTS lists it: lower case, no IPv6 brackets, no trailing dot. */
function hostKey(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/**
 * What a webhook URL may be and reach (SSRF rules): checked when a subscription is saved, and again at
 * connect time for every delivery, through the `lookup` given to node:http, so that a name that resolved to a
 * public address then and to an internal one now (DNS rebinding) is refused before a byte is sent.
 */
export class UrlGuard {
  constructor(
    private readonly policy: UrlPolicy,
    private readonly resolveHost: ResolveHost = systemResolveHost,
  ) {}

  isAllowedHost(hostname: string): boolean {
    return this.policy.allowHosts.includes(hostKey(hostname));
  }

  /** The URL's form alone: scheme, credentials, length, https. @throws {UnsafeUrlError} */
  parse(raw: string): URL {
    if (raw.length > MAX_URL_LENGTH) throw new UnsafeUrlError(`Ensure this URL has no more than ${MAX_URL_LENGTH} characters.`);
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    if (!url || !['http:', 'https:'].includes(url.protocol) || !url.hostname) throw new UnsafeUrlError('Enter a valid http or https URL.');
    // The stored form is the normalised one, which percent-encoding can make longer.
    if (url.href.length > MAX_URL_LENGTH) throw new UnsafeUrlError(`Ensure this URL has no more than ${MAX_URL_LENGTH} characters.`);
    if (url.username || url.password) throw new UnsafeUrlError('The URL must not contain credentials: the signature authenticates nexus to the receiver.');
    if (this.policy.requireHttps && url.protocol !== 'https:' && !this.isAllowedHost(url.hostname)) throw new UnsafeUrlError('Webhook URLs must use https.');
    return url;
  }

  /**
   * Checks a URL as it is saved: its form, then every address its host resolves to.
   * @returns the parsed URL @throws {UnsafeUrlError}
   */
  async check(raw: string): Promise<URL> {
    const url = this.parse(raw);
    await this.safeAddresses(url.hostname);
    return url;
  }

  /**
   * Every address of the host, each allowed, else an UnsafeUrlError (one forbidden address is enough: which
   * one a client connects to is not ours to choose). An IP literal is judged as it is.
   */
  async safeAddresses(hostname: string): Promise<string[]> {
    const host = hostKey(hostname);
    const allowed = this.isAllowedHost(host);
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        addresses = await this.resolveHost(host);
      } catch (error) {
        throw new UnsafeUrlError(`The URL's host could not be resolved (${(error as { code?: string }).code ?? 'no answer'}).`);
      }
      if (addresses.length === 0) throw new UnsafeUrlError("The URL's host could not be resolved (no address).");
    }
    for (const address of addresses) {
      const verdict = judgeAddress(address, allowed);
      if (verdict.allowed) continue;
      const where = host === address ? `The URL's host is ${address}` : `The URL's host resolves to ${address}`;
      if (verdict.metadata) throw new UnsafeUrlError(`${where}, ${verdict.what}, which webhooks may never reach.`);
      throw new UnsafeUrlError(`${where}, ${verdict.what}: webhooks may only reach public addresses.`);
    }
    return addresses;
  }

  /**
   * A `lookup` for node:http(s) requests: resolves like dns.lookup, but only ever hands out checked addresses,
   * so the address connected to is the address that was judged.
   */
  readonly lookup = (hostname: string, options: LookupOptions | LookupOneOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    this.safeAddresses(hostname).then(
      (addresses) => {
        const wanted = addresses.filter((address) => !options.family || isIP(address) === options.family);
        if (wanted.length === 0) return callback(Object.assign(new Error(`No IPv${options.family} address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        if ('all' in options && options.all) return callback(null, wanted.map((address) => ({ address, family: isIP(address) })));
        callback(null, wanted[0] as string, isIP(wanted[0] as string));
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
