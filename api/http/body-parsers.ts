import express, { type RequestHandler } from 'express';
import multer from 'multer';
import { AppError } from '../errors';
import { fromMultipart } from './body-errors';

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

/** JSON and form-urlencoded bodies, parsed for every API route (multipart is parsed per endpoint). */
export function bodyParsers(limit: string): RequestHandler[] {
  return [
    express.json({ limit, strict: false, type: ['application/json', 'application/*+json'] }),
    express.urlencoded({ limit, extended: false, parameterLimit: 200 }),
  ];
}

export interface UploadSpec {
  /** The multipart field carrying the file. */
  field: string;
  maxBytes: number;
}

/**
 * Multipart bodies, as DRF accepted on every view: text fields only, unless the endpoint declares an upload,
 * whose single file is kept in memory (bounded by `maxBytes`) for the handler to check and store. It runs
 * after the access check, so nobody can make the API buffer a file they may not upload.
 */
export function multipartParser(upload?: UploadSpec): RequestHandler {
  const fields = { fieldSize: 64 * 1024, fields: 100 };
  const parser = upload
    ? multer({ storage: multer.memoryStorage(), limits: { ...fields, files: 1, fileSize: upload.maxBytes } }).single(upload.field)
    : multer({ limits: { ...fields, files: 0 } }).none();
  return (req, res, next) => (req.is('multipart/form-data') ? parser(req, res, (error?: unknown) => next(fromMultipart(error))) : next());
}
