import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { INVALID_PAGE, insertCategory, insertProduct, registerStaff } from '../../support/catalog';
import { expectExit, runNexus } from '../../support/cli';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';

type OpenApi = { paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> }> } }> };

/** Every GET of the OpenAPI document that answers DRF's page envelope. */
function paginatedPaths(document: OpenApi): string[] {
  return Object.entries(document.paths)
    .filter(([, item]) => item.get?.responses['200']?.content?.['application/json']?.schema?.properties?.results !== undefined)
    .map(([path]) => path);
}

const DRF_DETAIL = { detail: expect.any(String), code: expect.any(String) };

/**
 * Input an anonymous client controls must never produce a 500: huge page numbers, broken compressed or
 * multipart bodies, undecodable path parameters. Each gets a DRF-shaped 4xx.
 */
describe('client mistakes answer 4xx, never 500', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let ids: Record<string, number>;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0' });
    staff = await registerStaff(api);
    const customer = await registerUser(api);
    const category = await insertCategory(api, { name: 'Paged', slug: 'paged' });
    const product = await insertProduct(api, { title: 'Paged thing', category_id: category.id });
    ids = { ref: product.id, product_id: product.id, user_id: customer.id, id: product.id, category: category.id };
  });
  afterAll(() => api.close());

  const concrete = (path: string) => path.replace(/\{(\w+)\}/g, (_match, name: string) => String(path.includes('categor') && name === 'ref' ? ids.category : (ids[name] ?? 1)));

  it.each(['1000000000000000000', '9007199254740993', '450359962737050', '9'.repeat(400)])(
    'When any paginated list is asked for page %s, then 404 "Invalid page." (not a 500 from PostgreSQL)',
    async (page) => {
      const document = JSON.parse((await request(api.app).get('/api/v1/schema/')).text) as OpenApi;
      const paths = paginatedPaths(document);
      // Public lists, the search, review lists, the customer's and staff's lists: all of them.
      expect(paths).toEqual(expect.arrayContaining(['/api/v1/products/', '/api/v1/products/search/', '/api/v1/reviews/', '/api/v1/reviews/product/{product_id}/', '/api/v1/orders/', '/api/v1/admin/products']));
      for (const path of paths) {
        const url = `${concrete(path)}${path.includes('search') ? '?q=paged&' : '?'}page=${page}`;
        for (const auth of [{}, bearer(staff.access)]) {
          const response = await request(api.app).get(url).set(auth);
          if (response.status === 401 || response.status === 403) continue;
          expect([url, response.status, response.body]).toEqual([url, 404, INVALID_PAGE]);
        }
      }
    },
  );

  it('When the page is the last one that can exist or `last`, then the list still answers (empty ones 404 past page 1)', async () => {
    expect((await request(api.app).get('/api/v1/reviews/?page=last')).status).toBe(200);
    expect((await request(api.app).get('/api/v1/products/search/?q=paged&page=last')).status).toBe(200);
    expect((await request(api.app).get('/api/v1/products/?page=450359962737049')).body).toEqual(INVALID_PAGE);
  });

  /** A JSON login with its body sent byte for byte (superagent would re-serialise a Buffer as JSON). */
  const login = () =>
    request(api.app)
      .post('/api/v1/auth/login/')
      .set('Content-Type', 'application/json')
      .serialize((body: unknown) => body as string);
  const json = Buffer.from(JSON.stringify({ email: 'nobody@example.com', password: 'whatever-it-is' }));

  it.each([
    ['gzip', Buffer.from('this is not gzip')],
    ['gzip', gzipSync(json).subarray(0, 20)],
    ['gzip', Buffer.concat([gzipSync(json).subarray(0, 12), Buffer.alloc(40, 0xff)])],
    ['deflate', Buffer.from('nor is this deflate')],
    ['deflate', deflateSync(json).subarray(0, 6)],
    ['br', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00])],
    ['br', brotliCompressSync(json).subarray(0, 5)],
  ])('When a %s body is corrupt, then 400 parse_error and nothing else happens', async (encoding, body) => {
    const response = await login().set('Content-Encoding', encoding).send(body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ detail: 'The request body could not be decompressed (Content-Encoding).', code: 'parse_error' });
  });

  it('When a compressed body is fine, then it is read as before; an unknown encoding is 415', async () => {
    expect((await login().set('Content-Encoding', 'gzip').send(gzipSync(json))).status).toBe(401);
    const unknown = await login().set('Content-Encoding', 'compress').send(json);
    expect([unknown.status, unknown.body.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('When a form body is corrupt gzip, then 400 as well', async () => {
    const response = await request(api.app).post('/api/v1/auth/login/').set('Content-Type', 'application/x-www-form-urlencoded').set('Content-Encoding', 'gzip').send('email=a');
    expect([response.status, response.body]).toEqual([400, DRF_DETAIL]);
  });

  it.each([
    ['no boundary', 'multipart/form-data', '--x\r\n'],
    ['a truncated part', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\nnobody@example.com'],
    ['a part without headers', 'multipart/form-data; boundary=x', '--x\r\n\r\nvalue\r\n--x--\r\n'],
    ['garbage', 'multipart/form-data; boundary=x', 'garbage'],
  ])('When a multipart body has %s, then 400 parse_error', async (_case, type, body) => {
    const response = await request(api.app).post('/api/v1/products/').set(bearer(staff.access)).set('Content-Type', type).send(body);
    expect([response.status, response.body]).toEqual([400, { detail: expect.stringMatching(/^Multipart form parse error/), code: 'parse_error' }]);
  });

  it.each(['/api/v1/products/%E0%A4%A/', '/api/v1/products/%/', '/api/v1/reviews/%zz/', '/api/v1/categories/%C0%AF/products/'])(
    'When a path parameter is not valid percent-encoding (%s), then 404 like any id that names nothing',
    async (path) => {
      expect((await request(api.app).get(path)).body).toEqual({ detail: 'Not found.', code: 'not_found' });
    },
  );
});

/**
 * DATABASE_STATEMENT_TIMEOUT bounds every statement of the API; a statement that runs longer (here: one that
 * waits for a lock held by another session) is cancelled and the request answers 503, quickly. The CLI never
 * inherits the setting.
 */
describe('statement timeout', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ CATALOG_CACHE_TTL: '0', DATABASE_STATEMENT_TIMEOUT: '300' });
    const category = await insertCategory(api, { name: 'Locked', slug: 'locked' });
    await insertProduct(api, { title: 'Locked thing', category_id: category.id });
  });
  afterAll(() => api.close());

  /** Holds an exclusive lock on a table from the test's own connection while `during` runs. */
  async function whileLocked<T>(table: string, during: () => Promise<T>): Promise<T> {
    const trx = await api.db.transaction();
    try {
      await trx.raw(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      return await during();
    } finally {
      await trx.rollback();
    }
  }

  it('When the API\'s connections are asked, then they carry the configured statement_timeout', async () => {
    expect((await api.runtime.db.raw('SHOW statement_timeout')).rows[0].statement_timeout).toBe('300ms');
  });

  it('When a statement runs past the timeout, then 503 query_timeout with Retry-After, and the API answers again at once', async () => {
    const started = Date.now();
    const response = await whileLocked('products', () => request(api.app).get('/api/v1/products/'));
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body).toEqual({ detail: 'The request took too long to answer; try again later.', code: 'query_timeout' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await request(api.app).get('/api/v1/products/')).status).toBe(200);
  });

  it('When the CLI runs with the same environment, then its statements are not bounded (a lock wait longer than the timeout still succeeds)', async () => {
    const trx = await api.db.transaction();
    let running: ReturnType<typeof runNexus> | undefined;
    try {
      await trx.raw('LOCK TABLE knex_migrations IN ACCESS EXCLUSIVE MODE');
      running = runNexus(['db', 'status', '--json'], { env: { DATABASE_URL: api.database.url, DATABASE_STATEMENT_TIMEOUT: '100' } });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    } finally {
      await trx.rollback();
    }
    expectExit(await running, 0);
  });
});
