import type { RequestHandler } from 'express';
import { AppError } from '../errors';

/** Django's ALLOWED_HOSTS rule: an exact name, or `.example.com` for the domain and every subdomain. */
export function isAllowedHost(hostname: string, allowed: string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return allowed.some((pattern) => (pattern.startsWith('.') ? host === pattern.slice(1) || host.endsWith(pattern) : host === pattern));
}

/** Refuses requests for other hosts, since absolute links (pagination, router roots) are built from the Host header. */
export function allowedHosts(allowed: string[]): RequestHandler {
  return (req, _res, next) => {
    if (allowed.length === 0 || isAllowedHost(req.hostname, allowed)) return next();
    next(new AppError({ status: 400, code: 'invalid_host', detail: 'Invalid host header.' }));
  };
}
