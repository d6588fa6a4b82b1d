import { Transform, type Writable } from 'node:stream';
import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import { AppError } from '../errors';
import { fromMultipart } from './body-errors';
import { unsupportedMediaType } from './body-parsers';

export interface UploadSpec {
  /** The multipart field carrying the file. */
  field: string;
  maxBytes: number;
}

/** Text fields an upload form may carry besides its file (a product has eight). */
export const MAX_MULTIPART_FIELDS = 20;

function tooLarge(limitBytes: number): AppError {
  return new AppError({ status: 413, code: 'payload_too_large', detail: `Multipart body is too large (limit ${limitBytes} bytes).` });
}

/**
 * Feeds the request to busboy through a byte counter: past `limitBytes` busboy is destroyed with a 413, which
 * multer reports once it has drained the rest of the request. busboy only limits each field, not their sum.
 */
function countingStreamHandler(limitBytes: number) {
  return (req: Request, busboy: Writable): void => {
    let seen = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length;
        if (seen > limitBytes) done(tooLarge(limitBytes));
        else done(null, chunk);
      },
    });
    counter.once('error', (error) => busboy.destroy(error));
    req.pipe(counter).pipe(busboy);
  };
}

/**
 * The multipart parser of an upload endpoint: text fields plus the one file, kept in memory for the handler to
 * check and store. What is not the file is held to the same `BODY_LIMIT` as a JSON body: at most
 * MAX_MULTIPART_FIELDS fields, none larger than the limit, and the whole body at most the limit plus the
 * file's `maxBytes`. Anything over is a 413. It runs after the access check, so nobody can make the API buffer
 * a file they may not upload.
 */
export function uploadParser(upload: UploadSpec, bodyLimitBytes: number): RequestHandler {
  const parser = multer({
    storage: multer.memoryStorage(),
    limits: { fields: MAX_MULTIPART_FIELDS, fieldSize: bodyLimitBytes, fieldNameSize: 100, files: 1, fileSize: upload.maxBytes, parts: MAX_MULTIPART_FIELDS + 1 },
    // multer 2.5's documented hook; @types/multer does not declare it yet.
    streamHandler: countingStreamHandler(bodyLimitBytes + upload.maxBytes),
  } as multer.Options).single(upload.field);
  return (req, res, next) => (req.is('multipart/form-data') ? parser(req, res, (error?: unknown) => next(fromMultipart(error))) : next());
}

/**
 * Every other endpoint refuses multipart (415, as for any type it does not read): its fields would otherwise
 * be buffered outside `BODY_LIMIT`. JSON and form-urlencoded bodies carry the same fields.
 */
export function refuseMultipart(): RequestHandler {
  return (req, _res, next) => next(req.is('multipart/form-data') ? unsupportedMediaType(req) : undefined);
}
