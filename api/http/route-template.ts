import type { RequestHandler } from 'express';

declare module 'express-serve-static-core' {
  interface Request {
    /** The route template that answered, e.g. `/api/v1/products/:id/`: set by the endpoint (or the group) that matched. */
    routeTemplate?: string;
  }
}

/** The route of a request that no route matched (404s, and bodies refused before routing): one label for them all. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Labels every request of a mounted area (the console, media files) with one template, so paths never become labels. */
export function routeGroup(template: string): RequestHandler {
  return (req, _res, next) => {
    req.routeTemplate = template;
    next();
  };
}

/** Names the route of an endpoint mounted on a router: the router's mount path (`req.baseUrl`) and the endpoint's path. */
export function routeTemplate(path: string): RequestHandler {
  return (req, _res, next) => {
    req.routeTemplate = req.baseUrl + path;
    next();
  };
}

/** The request's route template for logs and metrics: never the raw URL, so label values stay a bounded set. */
export function routeOf(req: { routeTemplate?: string; route?: { path?: unknown } }): string {
  if (req.routeTemplate !== undefined) return req.routeTemplate;
  // A plain route of a router mounted at the root (the documentation pages): its path is a template from the code.
  const path = req.route?.path;
  return typeof path === 'string' ? path : UNMATCHED_ROUTE;
}
