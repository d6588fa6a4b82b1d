import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { MethodNotAllowedError, NotFoundError, type AppError } from '../errors';
import { requireStaff, requireUser, type AuthContext } from './auth';
import { refuseMultipart, uploadParser, type UploadSpec } from './multipart';
import { canonicalPath, canonicalQuery } from './canonical-request';
import { parseInput } from './validate';
import { routeTemplate } from './route-template';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type Access = 'public' | 'user' | 'staff';

type Output<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface EndpointContext<B, Q, P, A extends Access> {
  req: Request;
  res: Response;
  body: B;
  query: Q;
  params: P;
  auth: A extends 'public' ? AuthContext | undefined : AuthContext;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** An already serialised JSON body (e.g. from the read cache), sent as is. */
  rawJson?: string | Buffer;
}

/**
 * One HTTP operation, declared in one place: path, who may call it, how its input is validated, what it
 * answers (for the OpenAPI document) and the handler. Routes files are lists of these.
 */
export interface EndpointSpec<BS, QS, PS, A extends Access> {
  method: HttpMethod;
  /** Express path relative to the router, e.g. `/addresses/:id/`; the trailing slash is optional for callers. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  access: A;
  body?: BS;
  query?: QS;
  params?: PS;
  /**
   * Success responses; the error responses this endpoint can produce are added automatically. `example` is
   * this route's own example where the schema is shared (a `Message`) or has none of its own.
   */
  responses: Record<number, { description: string; schema?: z.ZodType; example?: unknown }>;
  /** Extra middleware run after the access check, e.g. a rate limiter. */
  middleware?: RequestHandler[];
  /**
   * Do not read the Authorization header at all, as simplejwt's token views did: a client that attaches its
   * expired access token to a refresh request must still get a new pair.
   */
  ignoresCredentials?: boolean;
  /** Accept one file in a multipart body (available as `req.file`); endpoints without it refuse multipart (415). */
  upload?: UploadSpec;
  /**
   * Errors the handler itself can produce (e.g. its 404 or 409s), documented with these real errors as
   * examples beside the automatic ones (401 for users, 403 for staff, a malformed id's 404).
   */
  errors?: AppError[];
  /** Input the validator refuses, whose real 400 answer is the documented example (default: an empty body). */
  invalidInput?: { body?: unknown; query?: unknown };
  operationId?: string;
  handle(ctx: EndpointContext<Output<BS>, Output<QS>, Output<PS>, A>): Promise<Reply>;
}

/** An endpoint with its input types erased, so lists can mix endpoints; `defineEndpoint` keeps them typed. */
export interface Endpoint extends Omit<EndpointSpec<z.ZodType | undefined, z.ZodObject | undefined, z.ZodObject | undefined, Access>, 'handle'> {
  handle(ctx: EndpointContext<unknown, unknown, unknown, Access>): Promise<Reply>;
}

export function defineEndpoint<
  BS extends z.ZodType | undefined = undefined,
  QS extends z.ZodObject | undefined = undefined,
  PS extends z.ZodObject | undefined = undefined,
  A extends Access = Access,
>(spec: EndpointSpec<BS, QS, PS, A>): Endpoint {
  return spec;
}

function checkAccess(req: Request, access: Access): AuthContext | undefined {
  if (access === 'user') return requireUser(req);
  if (access === 'staff') return requireStaff(req);
  return req.auth;
}

function parseParams(schema: z.ZodType | undefined, params: unknown): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(params);
  // A malformed id in the path names no resource: 404, as DRF's router answered.
  if (!parsed.success) throw new NotFoundError();
  return parsed.data;
}

/** What every endpoint of a router shares. */
export interface MountOptions {
  /** Reads the bearer token into `req.auth`; omitted for routers that take no credentials. */
  authenticate?: RequestHandler;
  /** BODY_LIMIT in bytes: what an upload's multipart body may hold besides its file. */
  bodyLimitBytes: number;
}

function handlerFor(endpoint: Endpoint, { authenticate, bodyLimitBytes }: MountOptions): RequestHandler[] {
  const guard: RequestHandler = (req, _res, next) => {
    checkAccess(req, endpoint.access);
    next();
  };
  const run: RequestHandler = async (req, res) => {
    const params = parseParams(endpoint.params, req.params);
    const query = endpoint.query ? parseInput(endpoint.query, req.query) : undefined;
    req.canonical = {
      path: canonicalPath(req.baseUrl, endpoint.path, { ...req.params, ...(params as object | undefined) }),
      query: canonicalQuery(query),
    };
    // No body at all is an empty object (DRF's empty QueryDict); a JSON `null` is a value, and not an object.
    const body = endpoint.body ? parseInput(endpoint.body, req.body === undefined ? {} : req.body) : undefined;
    const reply = await endpoint.handle({ req, res, body, query, params, auth: req.auth });
    if (reply.rawJson !== undefined) res.status(reply.status).type('json').send(reply.rawJson);
    else if (reply.body === undefined) res.status(reply.status).end();
    // Express 5 empties a 205's body; the old backend's logout sent one and its clients parse it.
    else if (reply.status === 205) res.status(205).type('json').end(JSON.stringify(reply.body));
    else res.status(reply.status).json(reply.body);
  };
  const credentials = authenticate && !endpoint.ignoresCredentials ? [authenticate] : [];
  const multipart = endpoint.upload ? uploadParser(endpoint.upload, bodyLimitBytes) : refuseMultipart();
  return [routeTemplate(endpoint.path), ...credentials, guard, ...(endpoint.middleware ?? []), multipart, run];
}

/** Installs endpoints on a router, plus a 405 (with `Allow`) for other methods on the same paths. */
export function mountEndpoints(router: Router, endpoints: Endpoint[], options: MountOptions): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const endpoint of endpoints) {
    router[endpoint.method](endpoint.path, ...handlerFor(endpoint, options));
    const methods = methodsByPath.get(endpoint.path) ?? new Set<string>();
    methods.add(endpoint.method.toUpperCase());
    if (endpoint.method === 'get') methods.add('HEAD');
    methodsByPath.set(endpoint.path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    const allowed = [...methods, 'OPTIONS'];
    router.all(path, routeTemplate(path), (req, res) => {
      if (req.method === 'OPTIONS') {
        res.setHeader('Allow', allowed.join(', '));
        res.status(204).end();
        return;
      }
      throw new MethodNotAllowedError(req.method, allowed);
    });
  }
}
