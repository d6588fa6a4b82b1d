import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import request from 'supertest';
import { z } from 'zod';
import { ERROR_CODES } from '../../../api/errors';
import { startTestApi, type TestApi } from '../../support/api';
import { bearer, makeStaff, registerUser } from '../../support/users';

type Schema = { $ref?: string; example?: unknown; type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[]; enum?: unknown[]; const?: unknown; default?: unknown };
type Media = { schema?: Schema; example?: unknown; examples?: Record<string, { value: unknown }> };
type Operation = { parameters?: { name: string; in: string }[]; requestBody?: { content: Record<string, Media> }; responses: Record<string, { content?: Record<string, Media> }>; security?: unknown[] };
type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** A value Swagger UI would have to make up: it shows "string", 0 or true where a schema gives no example. */
const MADE_UP = Symbol('made up');

function operations(document: OpenApiDocument): { where: string; method: (typeof METHODS)[number]; path: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ where: `${method.toUpperCase()} ${path}`, method, path, operation: item[method] as Operation })),
  );
}

function mediaExamples(media: Media): unknown[] {
  if (media.example !== undefined) return [media.example];
  return Object.values(media.examples ?? {}).map((example) => example.value);
}

/** Swagger UI's "Example Value": the nearest `example` up the schema, else one built from the parts. */
function sample(document: OpenApiDocument, schema: Schema | undefined, at: string, holes: string[]): unknown {
  if (!schema) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (schema.$ref) return sample(document, document.components.schemas[schema.$ref.split('/').pop() as string], at, holes);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const choice = schema.anyOf ?? schema.oneOf;
  if (choice) return sample(document, choice.find((option) => option.type !== 'null') ?? choice[0], at, holes);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((part) => sample(document, part, at, holes)));
  const type = Array.isArray(schema.type) ? schema.type.find((name) => name !== 'null') : schema.type;
  if (type === 'null') return null;
  if (schema.properties) return Object.fromEntries(Object.entries(schema.properties).map(([name, part]) => [name, sample(document, part, `${at}.${name}`, holes)]));
  if (type === 'array') return [sample(document, schema.items, `${at}[]`, holes)];
  holes.push(at);
  return MADE_UP;
}

/** What the docs show for a body: its own examples, or the one composed from its schema's (none if anything is made up). */
function shownExamples(document: OpenApiDocument, media: Media, where: string): unknown[] {
  const own = mediaExamples(media);
  if (own.length > 0) return own;
  const holes: string[] = [];
  const composed = sample(document, media.schema, where, holes);
  return holes.length === 0 && composed !== undefined ? [composed] : [];
}

/** Every JSON body of the document (requests and responses) with what a reader of the docs is shown for it. */
function documentedBodies(document: OpenApiDocument): { where: string; media: Media }[] {
  return operations(document).flatMap(({ where, operation }) => [
    ...Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => ({ where: `${where} request (${type})`, media })),
    ...Object.entries(operation.responses).flatMap(([status, response]) =>
      Object.entries(response.content ?? {}).map(([type, media]) => ({ where: `${where} ${status} (${type})`, media })),
    ),
  ]);
}

function isZod(value: unknown): value is z.ZodType {
  return value instanceof z.ZodType;
}

/** Every zod schema reachable from `root`, wrappers, pipes and union members included. */
function zodTree(root: z.ZodType, seen = new Set<z.ZodType>()): z.ZodType[] {
  if (seen.has(root)) return [];
  seen.add(root);
  const children: z.ZodType[] = [];
  for (const value of Object.values(root._zod.def as unknown as Record<string, unknown>)) {
    if (isZod(value)) children.push(value);
    else if (Array.isArray(value)) children.push(...value.filter(isZod));
    else if (value && typeof value === 'object') children.push(...Object.values(value).filter(isZod));
  }
  return [root, ...children.flatMap((child) => zodTree(child, seen))];
}

/** The zod schemas of one registered operation, each with the examples attached to it at this place. */
function routeSchemas(route: RouteConfig): { where: string; schema: z.ZodType; examples: unknown[] }[] {
  const where = `${route.method.toUpperCase()} ${route.path}`;
  const found: { where: string; schema: z.ZodType; examples: unknown[] }[] = [];
  const add = (label: string, schema: unknown, media?: Media) => {
    if (isZod(schema)) found.push({ where: `${where} ${label}`, schema, examples: media ? mediaExamples(media) : [] });
  };
  for (const media of Object.values(route.request?.body?.content ?? {})) add('request', (media as { schema?: unknown }).schema);
  add('query', route.request?.query);
  for (const [status, response] of Object.entries(route.responses)) {
    for (const media of Object.values((response as { content?: Record<string, Media> }).content ?? {})) add(status, (media as { schema?: unknown }).schema, media);
  }
  return found;
}

function inputFields(document: OpenApiDocument, operation: Operation): Set<string> {
  const body = operation.requestBody?.content['application/json']?.schema;
  const resolved = body?.$ref ? document.components.schemas[body.$ref.split('/').pop() as string] : body;
  return new Set([...Object.keys(resolved?.properties ?? {}), ...(operation.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name)]);
}

describe('the examples of the OpenAPI document', () => {
  let api: TestApi;
  let document: OpenApiDocument;

  beforeAll(async () => {
    api = await startTestApi();
    const response = await request(api.app).get('/api/v1/schema/');
    document = JSON.parse(response.text) as OpenApiDocument;
  });
  afterAll(() => api.close());

  it('When a request or response body is shown, then every value comes from an example: no "string", 0 or true made up by the viewer', () => {
    const madeUp: string[] = [];
    for (const { where, media } of documentedBodies(document)) {
      const shown = mediaExamples(media);
      const holes: string[] = [];
      if (shown.length === 0) sample(document, media.schema, where, holes);
      madeUp.push(...holes);
      for (const example of shown) if (JSON.stringify(example).includes('"string"')) madeUp.push(`${where}: ${JSON.stringify(example)}`);
    }
    expect(madeUp).toEqual([]);
  });

  it('When an example is attached to a schema or a response, then its zod schema accepts it', () => {
    const refused: string[] = [];
    const checked = new Set<unknown>();
    for (const definition of api.runtime.openApi.definitions) {
      if (definition.type !== 'route') continue;
      for (const { where, schema, examples } of routeSchemas(definition.route)) {
        const attached = zodTree(schema).flatMap((part) => (part.meta()?.example === undefined ? [] : [{ part, example: part.meta()?.example }]));
        for (const { part, example } of [...attached, ...examples.map((example) => ({ part: schema, example }))]) {
          // A shared schema (Product) is reached from many routes: judged once, reported at the first.
          if (checked.has(example)) continue;
          checked.add(example);
          const result = part.safeParse(example);
          if (!result.success) refused.push(`${where}: ${JSON.stringify(example).slice(0, 120)}… → ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
        }
      }
    }
    expect(refused).toEqual([]);
    expect(checked.size).toBeGreaterThan(100);
  });

  it('When an error example is shown, then its code is one the status carries and a 400 names only fields of its own route', () => {
    const wrong: string[] = [];
    for (const { where, operation } of operations(document)) {
      const fields = inputFields(document, operation);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const examples = shownExamples(document, response.content?.['application/json'] ?? {}, `${where} ${status}`);
        if (examples.length === 0) wrong.push(`${where} ${status}: no example`);
        for (const example of examples as Record<string, unknown>[]) {
          // Health probes answer 503 with their own report, not an error body.
          const isError = 'code' in example || Number(status) < 500;
          if (isError && ERROR_CODES[example.code as keyof typeof ERROR_CODES] !== Number(status)) wrong.push(`${where} ${status}: code ${String(example.code)}`);
          if (Number(status) !== 400 || 'detail' in example) continue;
          const foreign = Object.keys(example).filter((key) => key !== 'code' && key !== 'non_field_errors' && !fields.has(key));
          if (foreign.length > 0) wrong.push(`${where} 400 names ${foreign.join(', ')}, which the route does not take`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('When a route is called without a token, as a customer on a staff route, or for an id that does not exist, then it answers its documented example', async () => {
    const customer = await registerUser(api);
    const staff = await registerUser(api);
    await makeStaff(api, staff.id);
    const mismatches: string[] = [];
    const answers = (body: unknown, documented: unknown[]) => documented.some((example) => JSON.stringify(example) === JSON.stringify(body));

    for (const { where, method, path, operation } of operations(document)) {
      // The request body the docs show (valid, so that the route gets as far as looking the id up).
      const requestMedia = operation.requestBody?.content['application/json'];
      const body = requestMedia ? (mediaExamples(requestMedia)[0] ?? sample(document, requestMedia.schema, where, [])) : undefined;
      const call = (url: string, token?: string) => {
        const pending = request(api.app)[method](url).set(token ? bearer(token) : {});
        return body === undefined ? pending : pending.send(body as object);
      };
      const documented = (status: number) => mediaExamples(operation.responses[String(status)]?.content?.['application/json'] ?? {});
      const withIds = (id: string) => path.replace(/\{[^}]+\}/g, id);

      if (operation.security?.length) {
        const anonymous = await call(withIds('1'));
        if (anonymous.status !== 401 || !answers(anonymous.body, documented(401))) mismatches.push(`${where} anonymous: ${anonymous.status} ${JSON.stringify(anonymous.body)}`);
      }
      if (documented(403).some((example) => (example as { code?: string }).code === 'permission_denied')) {
        const forbidden = await call(withIds('1'), customer.access);
        if (forbidden.status !== 403 || !answers(forbidden.body, documented(403))) mismatches.push(`${where} as a customer: ${forbidden.status} ${JSON.stringify(forbidden.body)}`);
      }
      if (path.includes('{')) {
        let missing = await call(withIds('999999999'), staff.access);
        // Some routes answer an unknown id (a user's reviews: an empty page); a malformed one is a 404 everywhere.
        if (missing.status !== 404) missing = await call(withIds('0'), staff.access);
        if (missing.status !== 404 || !answers(missing.body, documented(404))) mismatches.push(`${where} unknown id: ${missing.status} ${JSON.stringify(missing.body)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
