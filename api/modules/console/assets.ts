import { join } from 'node:path';
import type { RequestHandler } from 'express';
import { CONSOLE_TEMPLATES } from './views';

/** A stylesheet served from its npm package (`@scope/pkg/path`) or from templates/console (a bare name). */
export function requirePackageFile(file: string): RequestHandler {
  const path = file.includes('/') ? require.resolve(file) : join(CONSOLE_TEMPLATES, file);
  return (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.sendFile(path);
  };
}
