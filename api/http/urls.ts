import type { Request } from 'express';
import { canonicalOrigin } from './canonical-request';

/**
 * Where `/media/` is on the host the client called: images are absolute URLs in every response. The origin is
 * the canonical one the read cache keys on, so a cached body never carries another client's spelling of it.
 */
export function mediaBase(req: Request): string {
  return `${canonicalOrigin(req)}/media/`;
}

/** An absolute URL on the host the client called (router roots and other links). */
export function absoluteUrl(req: Request, path: string): string {
  return `${canonicalOrigin(req)}${path}`;
}
