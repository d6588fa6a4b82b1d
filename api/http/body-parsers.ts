import express, { type Request, type RequestHandler } from 'express';
import { AppError } from '../errors';

export const PARSED_MEDIA_TYPES = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/** DRF's 415 for a body of a type the endpoint does not read. */
export function unsupportedMediaType(req: Request): AppError {
  const mediaType = req.get('content-type') ?? '';
  return new AppError({ status: 415, code: 'unsupported_media_type', detail: `Unsupported media type "${mediaType}" in request.` });
}

/**
 * 415 for a body nexus cannot read, before any parser sees it (the old backend answered the same). Multipart
 * passes here; each endpoint then reads it (uploads) or refuses it (see multipart.ts).
 */
export function rejectUnsupportedMediaType(): RequestHandler {
  return (req, _res, next) => {
    if (!hasBody(req.headers) || req.is(PARSED_MEDIA_TYPES)) return next();
    next(unsupportedMediaType(req));
  };
}

/** JSON and form-urlencoded bodies, parsed for every API route (multipart only by upload endpoints). */
export function bodyParsers(limit: string): RequestHandler[] {
  return [
    express.json({ limit, strict: false, type: ['application/json', 'application/*+json'] }),
    express.urlencoded({ limit, extended: false, parameterLimit: 200 }),
  ];
}
