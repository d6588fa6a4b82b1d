import type { Request } from 'express';

/** Where `/media/` is on the host the client called: images are absolute URLs in every response. */
export function mediaBase(req: Request): string {
  return `${req.protocol}://${req.host}/media/`;
}

/** An absolute URL on the host the client called (router roots and other links). */
export function absoluteUrl(req: Request, path: string): string {
  return `${req.protocol}://${req.host}${path}`;
}
