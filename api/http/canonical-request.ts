import type { Request } from 'express';
import { canonicalPage } from './page-number';

/**
 * A request as the API understood it, once its route matched and its input validated: the route's path with
 * the parsed path parameters, and the parsed query parameters (unknown ones dropped, values normalised). Two
 * spellings of the same request have the same canonical form, so it is what the read cache keys on and what
 * pagination links are built from (a link never repeats a parameter the API ignored).
 */
export interface CanonicalRequest {
  /** e.g. `/api/v1/products/12/`. */
  path: string;
  /** Parameter name → value as text; `page` only when it is not the first page. */
  query: ReadonlyMap<string, string>;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the endpoint runner after validation (see endpoint.ts). */
    canonical?: CanonicalRequest;
  }
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/**
 * Fills a route pattern (`/products/:ref/`) with parsed parameters, percent-encoded.
 * @param baseUrl where the router is mounted, as matched (routing is case-sensitive, so it is the canonical spelling)
 */
export function canonicalPath(baseUrl: string, routePath: string, params: Record<string, unknown>): string {
  return baseUrl + routePath.replace(/:(\w+)/g, (_match, name: string) => encodeURIComponent(asText(params[name])));
}

/** The parsed query: undefined values dropped, `page` normalised (absent for page 1). */
export function canonicalQuery(parsed: Record<string, unknown> | undefined): Map<string, string> {
  const query = new Map<string, string>();
  for (const [name, value] of Object.entries(parsed ?? {})) {
    const text = name === 'page' ? canonicalPage(value) : value === undefined || value === null ? undefined : asText(value);
    if (text !== undefined) query.set(name, text);
  }
  return query;
}

/**
 * `name=value` pairs, form-encoded (as browsers and DRF's links write them: a space is `+`), sorted as
 * strings and joined. Sorting the encoded pairs (not the names) lets the cache fast lane put a raw query string
 * in the same order without decoding it.
 */
export function queryString(query: ReadonlyMap<string, string>): string {
  return [...query]
    .map((pair) => new URLSearchParams([pair]).toString())
    .sort()
    .join('&');
}

/** A raw query string with its pairs in canonical order (the fast lane's cheap approximation of the above). */
export function sortedRawQuery(raw: string): string {
  if (!raw.includes('&')) return raw;
  const pairs = raw.split('&');
  // Most queries arrive in order already (the API's own links are): no sort, no new string.
  for (let index = 1; index < pairs.length; index += 1) {
    if ((pairs[index - 1] as string) > (pairs[index] as string)) return pairs.sort().join('&');
  }
  return raw;
}

const CANONICAL_HOST = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;

/**
 * Scheme and host as links show them and the cache keys them: `https` only for a secure request (a forged
 * X-Forwarded-Proto value cannot reach a link), the host lower-cased without a trailing dot or the scheme's
 * default port, so `Shop.Example.com.:443` and `shop.example.com` are one origin.
 */
export function canonicalOrigin(req: Request): string {
  const scheme = req.secure ? 'https' : 'http';
  const given = req.host ?? '';
  // The usual case (behind nginx, which passes `$host`): already canonical, and this runs on every cache hit.
  if (CANONICAL_HOST.test(given)) return `${scheme}://${given}`;
  const host = given.toLowerCase();
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  if (!match) return `${scheme}://${host}`;
  const name = (match[1] as string).replace(/\.+$/, '');
  const port = match[2];
  const defaultPort = scheme === 'https' ? '443' : '80';
  return `${scheme}://${name}${port && port !== defaultPort ? `:${port}` : ''}`;
}

/** The canonical URL of a request (origin, path, sorted query), or undefined before its endpoint ran. */
export function canonicalUrl(req: Request, query: ReadonlyMap<string, string> | undefined = req.canonical?.query): string | undefined {
  if (!req.canonical || !query) return undefined;
  const search = queryString(query);
  return `${canonicalOrigin(req)}${req.canonical.path}${search ? `?${search}` : ''}`;
}
