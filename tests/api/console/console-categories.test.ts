import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff } from '../../support/catalog';
import type { RegisteredUser } from '../../support/users';
import { consoleSignIn, type ConsoleBrowser } from './console-session';

describe('the staff console: the category tree (create, rename, move, delete with the "move products first" rule), audited', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let console_: ConsoleBrowser;

  const post = (path: string, body: Record<string, string>) => console_.agent.post(path).type('form').send({ csrf: console_.csrf, ...body });
  const byName = async (name: string) => (await api.db('categories').where({ name }).first()) as { id: number; parent_id: number | null } | undefined;

  beforeAll(async () => {
    api = await startTestApi();
    staff = await registerStaff(api);
    const tools = await insertCategory(api, { name: 'Tools' });
    await insertProduct(api, { title: 'Saw', category_id: tools.id, price: '12.00', stock_quantity: 3 });
    console_ = await consoleSignIn(api, staff);
  });
  afterAll(() => api.close());

  it('When a category is created inside another, renamed and moved, then the public tree follows and each change is audited', async () => {
    const tools = (await byName('Tools'))?.id as number;
    expect((await post('/admin/categories/', { name: 'Hand tools', parent: String(tools) })).status).toBe(303);
    const hand = (await byName('Hand tools')) as { id: number; parent_id: number | null };
    expect(hand.parent_id).toBe(tools);
    const page = await console_.agent.get('/admin/categories/?done=created');
    expect(page.text).toContain('The category is created.');
    expect(page.text).toMatch(/— <strong>Hand tools<\/strong>/);

    expect((await post(`/admin/categories/${hand.id}/`, { name: 'Manual tools', parent: '' })).status).toBe(303);
    expect(await byName('Manual tools')).toMatchObject({ id: hand.id, parent_id: null });
    const publicCategory = await request(api.app).get(`/api/v1/categories/${hand.id}/`);
    expect(publicCategory.body).toMatchObject({ name: 'Manual tools', parent: null });
    expect((await api.db('audit_log').where({ resource_type: 'category', resource_id: String(hand.id) }).orderBy('id')).map((entry: { action: string }) => entry.action)).toEqual(['category.created', 'category.updated']);
  });

  it('When a category that holds products is deleted, then it is refused until they are moved, and a move into its own subtree is refused', async () => {
    const tools = (await byName('Tools'))?.id as number;
    const refused = await post(`/admin/categories/${tools}/delete/`, { move_to: '' });
    expect(refused.status).toBe(409);
    expect(refused.text).toMatch(/role="alert" class="error">[^<]*move/i);
    expect(await byName('Tools')).toBeDefined();

    expect((await post('/admin/categories/', { name: 'Inner', parent: String(tools) })).status).toBe(303);
    const inner = (await byName('Inner'))?.id as number;
    const loop = await post(`/admin/categories/${tools}/`, { name: 'Tools', parent: String(inner) });
    expect(loop.status).toBe(400);
    expect(await byName('Tools')).toMatchObject({ parent_id: null });

    const manual = (await byName('Manual tools'))?.id as number;
    expect((await post(`/admin/categories/${tools}/delete/`, { move_to: String(manual) })).status).toBe(303);
    expect(await byName('Tools')).toBeUndefined();
    expect(await api.db('products').where({ title: 'Saw' }).first()).toMatchObject({ category_id: manual });
    expect(await api.db('audit_log').where({ action: 'category.deleted', resource_id: String(tools) }).first()).toMatchObject({ after: { contents_moved_to: manual } });
  });

  it('When the form is bad (empty name, unknown parent, hostile ids), then a clear 4xx and nothing changes', async () => {
    const count = async () => (await api.db('categories').count('* as count').first()) as { count: number };
    const before = await count();
    expect((await post('/admin/categories/', { name: '', parent: '' })).status).toBe(400);
    expect((await post('/admin/categories/', { name: 'Orphan', parent: '999999' })).status).toBe(400);
    expect((await post('/admin/categories/abc/', { name: 'x' })).status).toBe(404);
    expect((await post('/admin/categories/999999/delete/', {})).status).toBe(404);
    expect(await count()).toEqual(before);
  });
});
