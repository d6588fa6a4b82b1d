import request from 'supertest';
import { parse } from 'yaml';
import { startTestApi, type TestApi } from '../../support/api';

type Operation = { operationId?: string; security?: Record<string, string[]>[]; responses?: Record<string, unknown> };
type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, unknown>; schemas?: Record<string, unknown> };
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const PREFIXES = ['/api/v1/auth', '/api/v1/users'];
/** The routes of the old backend's users router (old-backend.md §1.0), under each prefix. */
const USER_ROUTES: [string, string][] = [
  ['get', '/'],
  ['post', '/register/'],
  ['post', '/login/'],
  ['post', '/token/refresh/'],
  ['post', '/logout/'],
  ['post', '/password/change/'],
  ['post', '/password/reset/'],
  ['post', '/password/reset/confirm/'],
  ['get', '/profile/'],
  ['patch', '/profile/update/'],
  ['get', '/addresses/'],
  ['post', '/addresses/'],
  ['get', '/addresses/default/'],
  ['get', '/addresses/{id}/'],
  ['put', '/addresses/{id}/'],
  ['patch', '/addresses/{id}/'],
  ['delete', '/addresses/{id}/'],
  ['post', '/addresses/{id}/set_default/'],
];
const OTHER_ROUTES: [string, string][] = [
  ['get', '/health/'],
  ['get', '/health/readiness/'],
  ['get', '/health/liveness/'],
  ['get', '/health/db/'],
  ['get', '/health/cache/'],
  ['get', '/api/v1/health/'],
];
const EXPECTED_ROUTES: [string, string][] = [
  ...PREFIXES.flatMap((prefix) => USER_ROUTES.map(([method, path]): [string, string] => [method, prefix + path])),
  ...OTHER_ROUTES,
];

/** Reads any body as text (superagent leaves unknown types such as YAML unbuffered). */
function asText(res: request.Response, callback: (error: Error | null, body: string) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  let data = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (data += chunk));
  stream.on('end', () => callback(null, data));
}

function scriptTags(html: string): { attributes: string; content: string }[] {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)].map((match) => ({ attributes: match[1] ?? '', content: match[2] ?? '' }));
}

function operations(document: OpenApiDocument): [string, string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method): [string, string, Operation] => [method, path, item[method] as Operation]),
  );
}

describe('OpenAPI document and documentation pages', () => {
  let api: TestApi;
  let document: OpenApiDocument;

  beforeAll(async () => {
    api = await startTestApi();
    const response = await request(api.app).get('/api/v1/schema/');
    expect(response.status).toBe(200);
    document = JSON.parse(response.text) as OpenApiDocument;
  });
  afterAll(() => api.close());

  it('When /api/v1/schema/ is fetched, then it is an OpenAPI 3.1.0 JSON document', async () => {
    const response = await request(api.app).get('/api/v1/schema/');
    expect(response.headers['content-type']).toMatch(/^application\/(vnd\.oai\.openapi\+)?json/);
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: expect.any(String), version: api.config.version });
    expect(Object.keys(document.paths).length).toBeGreaterThan(0);
  });

  it('When YAML is requested, then the same document comes back as YAML', async () => {
    for (const response of [
      await request(api.app).get('/api/v1/schema/?format=yaml').buffer(true).parse(asText),
      await request(api.app).get('/api/v1/schema/').set('Accept', 'application/yaml').buffer(true).parse(asText),
    ]) {
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/yaml/);
      expect(typeof response.body).toBe('string');
      expect((response.body as string).startsWith('{')).toBe(false);
      expect(parse(response.body as string)).toEqual(document);
    }
  });

  it('When the security schemes are read, then bearerAuth is an HTTP bearer JWT scheme', () => {
    expect(document.components.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('When the paths are listed, then every route of the app is documented', () => {
    const documented = new Set(operations(document).map(([method, path]) => `${method.toUpperCase()} ${path}`));
    for (const [method, path] of EXPECTED_ROUTES) expect(documented).toContain(`${method.toUpperCase()} ${path}`);
  });

  it('When each documented operation is called anonymously, then it is routed and its security matches', async () => {
    for (const [method, path, operation] of operations(document)) {
      const url = path.replace(/\{[^}]+\}/g, '1');
      const response = await request(api.app)[method as (typeof METHODS)[number]](url).send({});
      const where = `${method.toUpperCase()} ${path}`;
      // A routed request for a missing object names the model ("No Product matches …"); only an unrouted one says "Not found.".
      expect({ where, status: response.status, detail: response.body.detail }).not.toEqual({ where, status: 404, detail: 'Not found.' });
      expect({ where, status: response.status }).not.toEqual({ where, status: 405 });
      expect(response.status).toBeLessThan(500);
      const protectedRoute = response.status === 401;
      expect({ where, security: operation.security }).toEqual({ where, security: protectedRoute ? [{ bearerAuth: [] }] : [] });
      if (protectedRoute) expect(Object.keys(operation.responses ?? {})).toContain('401');
    }
  });

  it('When operation ids are given, then they are unique', () => {
    const ids = operations(document)
      .map(([, , operation]) => operation.operationId)
      .filter((id): id is string => id !== undefined);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('When the document references schemas, then every $ref resolves', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1] as string);
    expect(refs.length).toBeGreaterThan(0);
    for (const name of new Set(refs)) expect(document.components.schemas).toHaveProperty([name]);
    expect(document.components.schemas).toHaveProperty(['Address']);
  });

  it('When the Swagger UI and ReDoc pages are fetched, then they are HTML without inline scripts', async () => {
    for (const path of ['/', '/api/v1/docs/', '/api/v1/redoc/']) {
      const response = await request(api.app).get(path).set('Accept', 'text/html');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      const scripts = scriptTags(response.text);
      expect(scripts.length).toBeGreaterThan(0);
      for (const script of scripts) {
        expect(script.content.trim()).toBe('');
        expect(script.attributes).toMatch(/\bsrc="\/[^"]+"/);
      }
      expect(response.text).not.toMatch(/\son[a-z]+\s*=/i);
      expect(response.text).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    }
  });

  it('When the assets a page references are fetched, then each is served with the right content type', async () => {
    const expected: Record<string, RegExp> = { js: /^(text|application)\/javascript/, css: /^text\/css/, png: /^image\/png/ };
    const assets = new Set<string>();
    for (const path of ['/api/v1/docs/', '/api/v1/redoc/']) {
      const html = (await request(api.app).get(path)).text;
      for (const match of html.matchAll(/\b(?:src|href)="(\/[^"]+)"/g)) assets.add(match[1] as string);
    }
    expect([...assets]).toEqual(
      expect.arrayContaining([
        '/api/v1/docs/assets/swagger-ui-bundle.js',
        '/api/v1/docs/assets/swagger-init.js',
        '/api/v1/docs/assets/swagger-ui.css',
        '/api/v1/redoc/redoc.standalone.js',
      ]),
    );
    for (const asset of assets) {
      const response = await request(api.app).get(asset).buffer(true).parse(asText);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      const extension = asset.split('.').pop() as string;
      expect(response.headers['content-type']).toMatch(expected[extension] as RegExp);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('When swagger-init.js is read, then it loads the schema from this API', async () => {
    const response = await request(api.app).get('/api/v1/docs/assets/swagger-init.js');
    expect(response.text).toContain("'/api/v1/schema/'");
    const redoc = await request(api.app).get('/api/v1/redoc/');
    expect(redoc.text).toContain('spec-url="/api/v1/schema/"');
  });

  it('When a docs asset does not exist, then 404 JSON rather than a file listing', async () => {
    for (const path of ['/api/v1/docs/assets/../../../package.json', '/api/v1/docs/assets/index.html', '/api/v1/docs/assets/']) {
      const response = await request(api.app).get(path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ detail: 'Not found.', code: 'not_found' });
    }
  });
});
