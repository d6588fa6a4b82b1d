import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { AppError, AuthenticationError, NotFoundError, PermissionDeniedError } from '../errors';
import type { Endpoint } from './endpoint';
import { detailErrorSchema, fieldErrorsSchema } from './error-schemas';
import { parseInput } from './validate';

/**
 * Endpoints in the OpenAPI document: each operation with its schemas and real examples (the success examples
 * of its schemas and responses, its validator's answer to an input it refuses, the errors it can answer).
 */

function openApiPath(prefix: string, path: string): string {
  return prefix + path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

/** The 400 this endpoint's validation answers to its `invalidInput` (or an empty body), as the error handler sends it. */
function invalidInputExample(endpoint: Endpoint): Record<string, unknown> | undefined {
  const input = endpoint.invalidInput ?? { body: {} };
  try {
    if (endpoint.query && input.query !== undefined) parseInput(endpoint.query, input.query);
    if (endpoint.body && input.body !== undefined) parseInput(endpoint.body, input.body);
  } catch (error) {
    if (error instanceof AppError) return error.toBody();
    throw error;
  }
  // The input passed: no example rather than a made-up one (tests/api/docs/openapi-examples.test.ts reports it).
  return undefined;
}

/** One example, or several named by their codes and summed up by their messages (Swagger UI offers a choice). */
function examplesOf(bodies: Record<string, unknown>[]): { example?: unknown; examples?: Record<string, { summary: string; value: unknown }> } {
  if (bodies.length === 0) return {};
  if (bodies.length === 1) return { example: bodies[0] };
  const examples: Record<string, { summary: string; value: unknown }> = {};
  for (const body of bodies) {
    const code = String(body.code);
    let name = code;
    for (let next = 2; examples[name]; next += 1) name = `${code}_${next}`;
    examples[name] = { summary: typeof body.detail === 'string' ? body.detail : `${code}: ${Object.keys(body).filter((key) => key !== 'code').join(', ')}`, value: body };
  }
  return { examples };
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input',
  401: 'Authentication required, or the token is invalid',
  402: 'Payment declined',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Body too large',
  422: 'Idempotency-Key reused with another body',
  429: 'Rate limited',
  502: 'Upstream failure',
  503: 'A dependency is unavailable; nothing was changed',
};

function errorResponses(endpoint: Endpoint): RouteConfig['responses'] {
  const automatic: AppError[] = [];
  if (endpoint.access !== 'public') automatic.push(new AuthenticationError());
  if (endpoint.access === 'staff') automatic.push(new PermissionDeniedError());
  // A path id that does not parse names nothing (see parseParams), whatever the route answers for an unknown one.
  if (endpoint.params) automatic.push(new NotFoundError());
  const byStatus = new Map<number, Record<string, unknown>[]>();
  for (const error of [...(endpoint.errors ?? []), ...automatic]) {
    const bodies = byStatus.get(error.status) ?? [];
    const body = error.toBody();
    if (!bodies.some((known) => JSON.stringify(known) === JSON.stringify(body))) bodies.push(body);
    byStatus.set(error.status, bodies);
  }

  const responses: RouteConfig['responses'] = {};
  if (endpoint.body || endpoint.query) {
    const invalid = invalidInputExample(endpoint);
    const detailed = byStatus.get(400) ?? [];
    byStatus.delete(400);
    responses[400] = {
      description: ERROR_DESCRIPTIONS[400],
      content: {
        'application/json': {
          schema: detailed.some((body) => 'detail' in body) ? z.union([fieldErrorsSchema, detailErrorSchema]) : fieldErrorsSchema,
          ...examplesOf([...(invalid ? [invalid] : []), ...detailed]),
        },
      },
    };
  }
  for (const [status, bodies] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error',
      content: { 'application/json': { schema: detailErrorSchema, ...examplesOf(bodies) } },
    };
  }
  return responses;
}

/** Adds endpoints to the OpenAPI registry under each prefix they are mounted at. */
export function registerEndpoints(registry: OpenAPIRegistry, prefixes: string[], endpoints: Endpoint[]): void {
  for (const prefix of prefixes) {
    for (const endpoint of endpoints) {
      const success: RouteConfig['responses'] = {};
      for (const [status, response] of Object.entries(endpoint.responses)) {
        const example = response.example === undefined ? {} : { example: response.example };
        success[status] = response.schema
          ? { description: response.description, content: { 'application/json': { schema: response.schema, ...example } } }
          : { description: response.description };
      }
      registry.registerPath({
        method: endpoint.method,
        path: openApiPath(prefix, endpoint.path),
        summary: endpoint.summary,
        description: endpoint.description,
        tags: endpoint.tags,
        operationId: prefixes.length > 1 && endpoint.operationId ? `${endpoint.operationId}${prefix.replace(/\W+/g, '_')}` : endpoint.operationId,
        security: endpoint.access === 'public' ? [] : [{ bearerAuth: [] }],
        request: {
          params: endpoint.params,
          query: endpoint.query,
          body: endpoint.body
            ? {
                content: {
                  'application/json': { schema: endpoint.body },
                  'application/x-www-form-urlencoded': { schema: endpoint.body },
                },
              }
            : undefined,
        },
        responses: { ...success, ...errorResponses(endpoint) },
      });
    }
  }
}
