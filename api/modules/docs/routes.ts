import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { stringify } from 'yaml';
import { caseSensitiveRouter } from '../../http/router';
import { API_TITLE, generateDocument } from './openapi';
import { redocPage, SWAGGER_INIT_SCRIPT, swaggerPage } from './pages';

const SWAGGER_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];
const STATIC_OPTIONS = { maxAge: '1d', immutable: false };
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
/** A neutral mark in place of Redocly's remote logo. */
const REDOC_LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="16" height="16"><rect x="2" y="2" width="12" height="12" rx="3" fill="#8d8d8d"/></svg>';

function wantsYaml(format: unknown, accept: string | undefined): boolean {
  return format === 'yaml' || (format === undefined && /\b(application|text)\/(x-)?yaml\b/.test(accept ?? ''));
}

/**
 * `/api/v1/schema/` (JSON, or YAML with `?format=yaml` or `Accept: application/yaml`), Swagger UI at `/` and
 * `/api/v1/docs/`, ReDoc at `/api/v1/redoc/`. Assets come from the npm packages, never from a CDN.
 */
export function docsRouter(registry: OpenAPIRegistry, version: string): Router {
  const router = caseSensitiveRouter();
  let document: object | undefined;
  let yaml: string | undefined;

  router.get('/api/v1/schema/', (req, res) => {
    document ??= generateDocument(registry, version);
    if (wantsYaml(req.query.format, req.get('accept'))) {
      yaml ??= stringify(document);
      res.type('application/yaml').send(yaml);
      return;
    }
    res.type('application/vnd.oai.openapi+json').send(JSON.stringify(document));
  });

  const swaggerHtml = swaggerPage(API_TITLE);
  router.get(['/', '/api/v1/docs/'], (_req, res) => {
    res.type('html').send(swaggerHtml);
  });
  // The package's main entry loads the whole Swagger UI bundle (~40 MB of heap) just to report its folder.
  const swaggerDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  for (const asset of SWAGGER_ASSETS) {
    router.get(`/api/v1/docs/assets/${asset}`, (_req, res) => res.sendFile(join(swaggerDir, asset), STATIC_OPTIONS));
  }
  router.get('/api/v1/docs/assets/swagger-init.js', (_req, res) => {
    res.type('text/javascript').send(SWAGGER_INIT_SCRIPT);
  });

  const redocHtml = redocPage(API_TITLE);
  router.get('/api/v1/redoc/', (_req, res) => {
    res.type('html').send(redocHtml);
  });
  let redocBundle: string | undefined;
  router.get('/api/v1/redoc/redoc.standalone.js', (_req, res) => {
    // ReDoc's sidebar credit loads its logo from Redocly's CDN, which the CSP blocks (and which would tell a
    // third party who reads the docs): the bundle is served pointing at a local copy instead.
    redocBundle ??= readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'), 'utf8').replaceAll(REDOC_CDN_LOGO, '/api/v1/redoc/logo-mini.svg');
    res.set('Cache-Control', 'public, max-age=86400').type('text/javascript').send(redocBundle);
  });
  router.get('/api/v1/redoc/logo-mini.svg', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').type('image/svg+xml').send(REDOC_LOGO);
  });
  return router;
}
