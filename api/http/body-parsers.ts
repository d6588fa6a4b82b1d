import express, { type RequestHandler } from 'express';
import multer from 'multer';
import { AppError } from '../errors';

export const PARSED_MEDIA_TYPES = ['application/json', 'application/*+json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/** 415 for a body nexus cannot read, before any parser sees it (the old backend answered the same). */
export function rejectUnsupportedMediaType(): RequestHandler {
  return (req, _res, next) => {
    if (!hasBody(req.headers) || req.is(PARSED_MEDIA_TYPES)) return next();
    const mediaType = req.get('content-type') ?? '';
    next(new AppError({ status: 415, code: 'unsupported_media_type', detail: `Unsupported media type "${mediaType}" in request.` }));
  };
}

/**
 * JSON, form-urlencoded and multipart text fields, as DRF accepted on every view. Files are refused here;
 * upload endpoints install their own parser with type and size checks.
 */
export function bodyParsers(limit: string): RequestHandler[] {
  const multipart = multer({ limits: { fieldSize: 64 * 1024, fields: 100, files: 0 } }).none();
  return [
    express.json({ limit, strict: false, type: ['application/json', 'application/*+json'] }),
    express.urlencoded({ limit, extended: false, parameterLimit: 200 }),
    (req, res, next) => (req.is('multipart/form-data') ? multipart(req, res, next) : next()),
  ];
}
