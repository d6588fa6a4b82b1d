import type { Request } from 'express';
import { canonicalOrigin } from './canonical-request';

/** The app setting that holds MEDIA_PUBLIC_URL (ending in `/`), set by buildApp. */
export const MEDIA_PUBLIC_URL_SETTING = 'media public url';

/**
 * Where images are linked: MEDIA_PUBLIC_URL when it is set (a CDN or the bucket), else `/media/` on the host the
 * client called: images are absolute URLs in every response. The origin is the canonical one the read cache
 * keys on, so a cached body never carries another client's spelling of it.
 */
export function mediaBase(req: Request): string {
  return (req.app.get(MEDIA_PUBLIC_URL_SETTING) as string | undefined) ?? `${canonicalOrigin(req)}/media/`;
}

/** An absolute URL on the host the client called (router roots and other links). */
export function absoluteUrl(req: Request, path: string): string {
  return `${canonicalOrigin(req)}${path}`;
}
