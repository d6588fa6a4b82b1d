import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The CSP is strict (no inline scripts, no third-party origins) yet lets the bundled Swagger UI and ReDoc
 * pages run: both inject inline styles, ReDoc starts a blob: worker, and Swagger UI draws data: images.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export function securityHeaders(): RequestHandler[] {
  return [
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
      crossOriginOpenerPolicy: { policy: 'same-origin' },
    }),
    (_req, res, next) => {
      res.setHeader('Permissions-Policy', 'geolocation=(), microphone=(), camera=()');
      next();
    },
  ];
}

export const CORS_ALLOWED_HEADERS = [
  'accept',
  'accept-encoding',
  'authorization',
  'content-type',
  'dnt',
  'idempotency-key',
  'origin',
  'user-agent',
  'x-request-id',
  'x-requested-with',
];

/** CORS for the configured origins only (exact match); other origins get no Access-Control-Allow-Origin. */
export function corsPolicy(options: { origins: string[]; credentials: boolean }): RequestHandler {
  const allowAny = options.origins.includes('*');
  const allowed = new Set(options.origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && (allowAny || allowed.has(origin))),
    credentials: options.credentials,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: ['X-Request-ID', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'Idempotent-Replayed'],
    maxAge: 86_400,
  });
}
