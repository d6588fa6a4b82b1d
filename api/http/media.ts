import { pipeline } from 'node:stream/promises';
import express, { type RequestHandler } from 'express';
import { MediaStorageUnavailableError, NotFoundError } from '../errors';
import { IMMUTABLE, isMediaKey, MediaStorageError, mediaType, type MediaStorage } from '../infra/media-storage';

/**
 * `/media/<key>`: files under MEDIA_ROOT from disk, or, for a store the API cannot hand to a static file server
 * (S3), the object streamed from the store. Keys are checked before the store is asked, so nothing outside
 * the stored keys (`..`, dot files, encoded characters) is ever reached; a missing one is the usual 404.
 */
export function mediaHandler(storage: MediaStorage, root: string): RequestHandler {
  if (!storage.open) return express.static(root, { index: false, dotfiles: 'deny', immutable: true, maxAge: '365d' });
  const open = storage.open.bind(storage);
  return async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const key = req.path.slice(1);
    if (!isMediaKey(key)) return next(new NotFoundError());
    let object;
    try {
      object = await open(key, { ifNoneMatch: req.get('if-none-match') });
    } catch (error) {
      return next(error instanceof MediaStorageError ? new MediaStorageUnavailableError(error, 'read') : error);
    }
    if (object === undefined) return next(new NotFoundError());
    res.setHeader('Cache-Control', IMMUTABLE);
    if (object === 'not-modified') return void res.status(304).end();
    res.setHeader('Content-Type', object.contentType?.startsWith('image/') ? object.contentType : mediaType(key));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (object.contentLength !== undefined) res.setHeader('Content-Length', String(object.contentLength));
    if (object.etag) res.setHeader('ETag', object.etag);
    if (object.lastModified) res.setHeader('Last-Modified', object.lastModified.toUTCString());
    if (req.method === 'HEAD') {
      object.body.destroy();
      return void res.status(200).end();
    }
    res.status(200);
    // A client that goes away ends the read from the store too.
    await pipeline(object.body, res).catch(() => object.body.destroy());
  };
}
