import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { insertCategory, insertProduct, registerStaff } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';
import { consoleSignIn, type ConsoleBrowser } from './console-session';

describe('the staff console: review reports (resolve, dismiss, hide, restore), audited', () => {
  let api: TestApi;
  let staff: RegisteredUser;
  let reporter: RegisteredUser;
  let productId: number;
  let console_: ConsoleBrowser;

  /** A review by a new customer, reported by `reporter`; returns both ids. */
  async function reportedReview(comment: string): Promise<{ review: number; report: number }> {
    const author = await registerUser(api);
    const review = await request(api.app).post('/api/v1/reviews/').set(bearer(author.access)).send({ product: productId, rating: 1, comment });
    expect(review.status).toBe(201);
    const report = await request(api.app).post(`/api/v1/reviews/${review.body.id}/report/`).set(bearer(reporter.access)).send({ reason: 'spam', description: 'Advertising' });
    expect(report.status).toBe(200);
    const row = await api.db('review_reports').where({ review_id: review.body.id }).first<{ id: number }>('id');
    return { review: review.body.id as number, report: row.id };
  }
  const post = (path: string, body: Record<string, string> = {}) => console_.agent.post(path).type('form').send({ csrf: console_.csrf, ...body });
  const publicComments = async () => ((await request(api.app).get(`/api/v1/reviews/product/${productId}/`)).body.results as { comment: string }[]).map((review) => review.comment);

  beforeAll(async () => {
    api = await startTestApi();
    staff = await registerStaff(api);
    reporter = await registerUser(api);
    const category = await insertCategory(api, { name: 'Books' });
    productId = (await insertProduct(api, { title: 'A Field Guide', category_id: category.id, price: '20.00', stock_quantity: 5 })).id;
    console_ = await consoleSignIn(api, staff);
  });
  afterAll(() => api.close());

  it('When a report is resolved with "hide the review", then the review leaves the public list and the rating, and both changes are audited', async () => {
    const { review, report } = await reportedReview('Buy cheap watches at example.net');
    const queue = await console_.agent.get('/admin/reviews/');
    expect(queue.text).toContain(`Report #${report}: spam`);
    expect(queue.text).toContain('Buy cheap watches at example.net');
    expect(queue.text).toContain('<strong>A Field Guide</strong>');
    expect(await publicComments()).toContain('Buy cheap watches at example.net');

    const resolved = await post(`/admin/reviews/reports/${report}/resolve/`, { note: 'Advertising', hide_review: 'on' });
    expect(resolved.status).toBe(303);
    expect(resolved.headers.location).toBe('/admin/reviews/?done=resolved-hidden');
    expect(await publicComments()).not.toContain('Buy cheap watches at example.net');
    const actions = (await api.db('audit_log').orderBy('id')).map((entry: { action: string; resource_id: string; source: string }) => [entry.action, entry.resource_id, entry.source]);
    expect(actions).toEqual([['report.resolved', String(report), 'console'], ['review.hidden', String(review), 'console']]);

    // Restoring it from the resolved list brings it back.
    const list = await console_.agent.get('/admin/reviews/?status=resolved');
    expect(list.text).toContain(`Restore review #${review}`);
    expect((await post(`/admin/reviews/${review}/restore/`)).status).toBe(303);
    expect(await publicComments()).toContain('Buy cheap watches at example.net');
  });

  it('When a report is dismissed, then the review stays; a second close of the same report is a 409 on the queue and changes nothing', async () => {
    const { report } = await reportedReview('Fine, but short');
    expect((await post(`/admin/reviews/reports/${report}/dismiss/`)).status).toBe(303);
    expect(await publicComments()).toContain('Fine, but short');
    const again = await post(`/admin/reviews/reports/${report}/resolve/`, { hide_review: 'on' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('This report is already dismissed.');
    expect(await publicComments()).toContain('Fine, but short');
    expect((await post('/admin/reviews/reports/abc/dismiss/')).status).toBe(404);
    expect((await post('/admin/reviews/99999/hide/')).status).toBe(404);
  });

  it('When staff hide a review through the API\'s moderation route, then it is audited with source api', async () => {
    const { review } = await reportedReview('Rude words');
    expect((await request(api.app).post(`/api/v1/reviews/${review}/hide/`).set(bearer(staff.access)).send({ note: 'Abuse' })).status).toBe(200);
    expect(await api.db('audit_log').where({ action: 'review.hidden', resource_id: String(review) }).first()).toMatchObject({ source: 'api', actor_id: staff.id, after: { is_hidden: true, note: 'Abuse' } });
  });
});
