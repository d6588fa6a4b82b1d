import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { IMAGES, insertCategory, insertProduct, registerStaff, storedImages } from '../../support/catalog';
import type { RegisteredUser } from '../../support/users';
import { consoleSignIn, type ConsoleBrowser } from './console-session';

describe('the staff console: products (list, create with an image, edit, bulk, delete), through ProductAdmin and audited', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let console_: ConsoleBrowser;
  let tools: number;
  let garden: number;

  const publicProduct = (id: number) => request(api.app).get(`/api/v1/products/${id}/`);
  const multipart = (path: string, fields: Record<string, string>, image?: Buffer) => {
    let call = console_.agent.post(path).field('csrf', console_.csrf);
    for (const [name, value] of Object.entries(fields)) call = call.field(name, value);
    return image ? call.attach('image', image, 'photo.png') : call;
  };

  beforeAll(async () => {
    // The read cache stays on: a staff write must show in the cached public page at once.
    api = await startTestApi();
    staff = await registerStaff(api);
    tools = (await insertCategory(api, { name: 'Tools' })).id;
    garden = (await insertCategory(api, { name: 'Garden' })).id;
    await insertProduct(api, { title: 'Claw hammer', category_id: tools, price: '15.00', stock_quantity: 2, description: 'Forged steel' });
    await insertProduct(api, { title: 'Spade', category_id: garden, price: '25.00', stock_quantity: 40 });
    await insertProduct(api, { title: 'Old rake', category_id: garden, price: '9.00', stock_quantity: 0, is_active: false });
    console_ = await consoleSignIn(api, staff);
  });
  afterAll(() => api.close());

  const titles = async (query: string) => [...(await console_.agent.get(`/admin/products/?${query}`)).text.matchAll(/<td><a href="\/admin\/products\/\d+\/">([^<]+)<\/a><\/td>/g)].map((match) => match[1]);

  it('When products are listed, then search, category, status, stock and sort filter them (inactive ones included)', async () => {
    expect(await titles('')).toEqual(['Old rake', 'Spade', 'Claw hammer']);
    expect(await titles('q=forged')).toEqual(['Claw hammer']);
    expect(await titles('q=ham')).toEqual(['Claw hammer']);
    expect(await titles(`category=${garden}&sort=title`)).toEqual(['Old rake', 'Spade']);
    expect(await titles('status=inactive')).toEqual(['Old rake']);
    expect(await titles('status=active&stock=5')).toEqual(['Claw hammer']);
    expect(await titles('sort=price')).toEqual(['Old rake', 'Claw hammer', 'Spade']);
  });

  it('When a product is created with an image, then it is in the public API with its image, audited; a bad price gets the API\'s message next to the field and creates nothing', async () => {
    const bad = await multipart('/admin/products/new/', { title: 'Hose', price: 'cheap', category: String(garden), stock_quantity: '3' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/<small id="price-error" class="field-error">A valid number is required\.<\/small>/);
    expect(bad.text).toContain('value="Hose"');
    expect(await api.db('products').where({ title: 'Hose' })).toEqual([]);

    const created = await multipart('/admin/products/new/', { title: 'Hose', price: '32.50', category: String(garden), stock_quantity: '3', description: '25 m', is_active: 'on' }, IMAGES.png);
    expect(created.status).toBe(303);
    const id = Number(/\/admin\/products\/(\d+)\//.exec(created.headers.location as string)?.[1]);
    const product = await publicProduct(id);
    expect(product.body).toMatchObject({ title: 'Hose', slug: 'hose', price: '32.50', stock_quantity: 3 });
    expect(product.body.image).toMatch(/\/media\/products\/.+\.png$/);
    expect(storedImages(api)).toHaveLength(1);
    const page = await console_.agent.get(created.headers.location as string);
    expect(page.text).toContain('The product is created.');
    expect(page.text).toMatch(/<img id="image-preview" src="\/media\/products\/[^"]+\.png" alt="The current image of Hose"/);
    expect(await api.db('audit_log').where({ action: 'product.created', resource_id: String(id) }).first()).toMatchObject({ source: 'console', actor_id: staff.id, after: expect.objectContaining({ title: 'Hose', price: '32.50' }) });

    const image = await request(api.app).get(new URL(product.body.image as string).pathname);
    expect(image.status).toBe(200);
  });

  it('When a price is edited, then the cached public page shows the new price at once, and the audit log has the field before and after', async () => {
    const hammer = (await api.db('products').where({ title: 'Claw hammer' }).first()).id as number;
    expect((await publicProduct(hammer)).body.price).toBe('15.00');
    expect((await publicProduct(hammer)).body.price).toBe('15.00');
    const saved = await multipart(`/admin/products/${hammer}/`, { title: 'Claw hammer', price: '17.90', category: String(tools), stock_quantity: '2', description: 'Forged steel', is_active: 'on' });
    expect(saved.status).toBe(303);
    expect((await publicProduct(hammer)).body.price).toBe('17.90');
    expect(await api.db('audit_log').where({ action: 'product.updated', resource_id: String(hammer) }).first()).toMatchObject({ before: { price: '15.00' }, after: { price: '17.90' } });
  });

  it('When products are deactivated, activated and moved in bulk, then the shop follows, each change audited', async () => {
    const [spade, hammer] = (await Promise.all(["Spade", "Claw hammer"].map(async (title) => (await api.db("products").where({ title }).first()).id as number))) as [number, number];
    const bulk = (action: string, extra: Record<string, string> = {}) =>
      console_.agent.post('/admin/products/bulk/').type('form').send(`csrf=${console_.csrf}&ids=${spade}&ids=${hammer}&action=${action}&${new URLSearchParams(extra).toString()}`);
    expect((await bulk('deactivate')).status).toBe(303);
    expect((await publicProduct(spade)).status).toBe(404);
    expect((await bulk('activate')).status).toBe(303);
    expect((await publicProduct(spade)).status).toBe(200);
    expect((await bulk('move', { category: String(tools) })).status).toBe(303);
    expect(await titles(`category=${tools}&sort=title`)).toEqual(['Claw hammer', 'Spade']);
    expect((await bulk('move', { category: '999999' })).status).toBe(400);
    expect((await console_.agent.post('/admin/products/bulk/').type('form').send({ csrf: console_.csrf, action: 'activate' })).status).toBe(400);
    expect(await api.db('audit_log').where({ action: 'product.updated', resource_id: String(spade) })).toHaveLength(3);
  });

  it('When a product is deleted, then the shop no longer has it and its image file is gone; a missing one is 404', async () => {
    const hose = (await api.db('products').where({ title: 'Hose' }).first()).id as number;
    expect((await console_.agent.post(`/admin/products/${hose}/delete/`).type('form').send({ csrf: console_.csrf })).status).toBe(303);
    expect((await publicProduct(hose)).status).toBe(404);
    expect(storedImages(api)).toEqual([]);
    expect(await api.db('audit_log').where({ action: 'product.deleted', resource_id: String(hose) }).first()).toMatchObject({ before: expect.objectContaining({ title: 'Hose' }) });
    expect((await console_.agent.post(`/admin/products/${hose}/delete/`).type('form').send({ csrf: console_.csrf })).status).toBe(404);
    expect((await console_.agent.get('/admin/products/abc/')).status).toBe(404);
  });

  it('When a product form comes without its CSRF token (multipart too), then 403 and nothing is created', async () => {
    const forged = await console_.agent.post('/admin/products/new/').field('title', 'Forged').field('price', '1.00').field('category', String(tools)).attach('image', IMAGES.png, 'x.png');
    expect(forged.status).toBe(403);
    expect(await api.db('products').where({ title: 'Forged' })).toEqual([]);
  });
});
