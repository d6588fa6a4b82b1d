import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { describeWith } from '../../support/components';
import { CHROMIUM, launchChromium } from '../../support/chromium';
import { IMAGES, insertCategory, insertProduct } from '../../support/catalog';
import { bearer, makeStaff, registerUser, type RegisteredUser } from '../../support/users';

/** Screenshots of each main page at both widths, kept as the run's artefacts (docs/console.md shows some). */
const ARTIFACTS = join(process.env.NEXUS_TEST_ARTIFACTS ?? join(__dirname, '..', '..', '..', 'test-artifacts'), 'console');
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };

/**
 * The console as staff use it, in Debian's Chromium under its real CSP: sign in by the form's labels, act on
 * an account, read the audit log; no CSP violation, console error or failed request on any page.
 */
describeWith('chromium', CHROMIUM !== undefined, 'the staff console in headless Chromium', () => {
  let api: TestApi;
  let server: Server;
  let base: string;
  let browser: Browser;
  let staff: RegisteredUser;
  let customer: RegisteredUser;
  let buyer: RegisteredUser;
  let productId: number;

  async function paidOrder(): Promise<number> {
    const created = await request(api.app).post('/api/v1/orders/').set(bearer(buyer.access)).send({ items: [{ product_id: productId, quantity: 1 }] });
    await request(api.app).post(`/api/v1/orders/${created.body.id}/payment/`).set(bearer(buyer.access)).send({ payment_method: 'paypal' });
    return created.body.id as number;
  }

  beforeAll(async () => {
    api = await startTestApi({ ORDER_MAX_UNPAID: '100', WEBHOOK_ALLOW_HOSTS: 'localhost' });
    staff = await registerUser(api, { email: 'staff@example.com' });
    buyer = await registerUser(api, { email: 'buyer@example.com' });
    const category = await insertCategory(api, { name: 'Garden' });
    productId = (await insertProduct(api, { title: 'Watering can', category_id: category.id, price: '19.90', stock_quantity: 40 })).id;
    await makeStaff(api, staff.id);
    customer = await registerUser(api, { email: 'customer@example.com' });
    server = createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await api?.close();
  });

  /** A browser session that records CSP violations, script errors and failed requests on every page. */
  async function session(viewport: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page; problems: () => Promise<string[]> }> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('requestfailed', (failed) => problems.push(`failed: ${failed.url()}`));
    page.on('response', (answer) => {
      // The refusals the test provokes on purpose are checked where they happen.
      if (answer.status() >= 400 && !answer.url().includes('/deactivate/')) problems.push(`HTTP ${answer.status()} for ${answer.url().replace(base, '')}`);
    });
    await context.addInitScript(`window.__violations = [];
      document.addEventListener('securitypolicyviolation', (event) => window.__violations.push(event.effectiveDirective + ' ' + event.blockedURI));`);
    const violations = async () => {
      try {
        return await page.evaluate<string[]>('window.__violations');
      } catch {
        return ['could not read violations'];
      }
    };
    return { context, page, problems: async () => [...problems, ...(await violations())] };
  }

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Email').fill(staff.email);
    await page.getByLabel('Password').fill(staff.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }

  it('When staff sign in, deactivate a customer and read the audit log, then the customer\'s token is refused and the log shows it; no page breaks a rule', async () => {
    const { context, page, problems } = await session(WIDTHS.desktop);
    await signIn(page);
    expect(page.url()).toBe(`${base}/admin/`);

    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('Search').fill('customer@');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('link', { name: customer.email }).click();
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('status').filter({ hasText: 'deactivated and signed out everywhere' }).waitFor();
    expect((await request(api.app).get('/api/v1/auth/profile/').set(bearer(customer.access))).status).toBe(401);

    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: 'user.deactivated' });
    expect(await row.textContent()).toContain(`user ${customer.id}`);
    expect(await row.textContent()).toContain(`${staff.email} (console)`);

    await page.getByRole('button', { name: `Sign out ${staff.email}` }).click();
    await page.getByRole('heading', { name: 'Staff sign-in' }).waitFor();
    await page.goto(`${base}/admin/users/`);
    await page.getByRole('heading', { name: 'Staff sign-in' }).waitFor();
    expect(await problems()).toEqual([]);
    await context.close();
  }, 90_000);

  it('When staff ship and deliver a paid order, and cancel another, then the customer sees each step and the refund', async () => {
    const [shipped, cancelled] = [await paidOrder(), await paidOrder()];
    const { context, page, problems } = await session(WIDTHS.desktop);
    await signIn(page);
    await page.getByRole('link', { name: 'Orders' }).click();
    await page.getByLabel('Status').selectOption('paid');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('link', { name: `#${shipped}`, exact: true }).click();
    await page.getByRole('button', { name: 'Start processing' }).click();
    await page.getByRole('status').filter({ hasText: 'The order is processing.' }).waitFor();
    await page.getByLabel('Tracking note (carrier and tracking number)').fill('DHL 00340434161094042557');
    await page.getByRole('button', { name: 'Mark shipped' }).click();
    await page.getByRole('status').filter({ hasText: 'The order is shipped.' }).waitFor();
    await page.getByRole('button', { name: 'Mark delivered' }).click();
    await page.getByRole('status').filter({ hasText: 'The order is delivered.' }).waitFor();
    const tracking = await request(api.app).get(`/api/v1/orders/${shipped}/track/`).set(bearer(buyer.access));
    expect((tracking.body.tracking_events as { code: string }[]).map((event) => event.code)).toEqual(['pending', 'paid', 'processing', 'shipped', 'delivered']);

    await page.goto(`${base}/admin/orders/${cancelled}/`);
    await page.getByLabel('Reason (the customer is refunded when paid)').fill('Damaged in the warehouse');
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('status').filter({ hasText: 'The order is cancelled.' }).waitFor();
    expect(await page.locator('dl.facts').textContent()).toContain('refunded');
    const order = await request(api.app).get(`/api/v1/orders/${cancelled}/`).set(bearer(buyer.access));
    expect(order.body).toMatchObject({ status: 'cancelled', payment_status: 'refunded' });
    await page.screenshot({ path: join(ARTIFACTS, 'order-desktop.png'), fullPage: true });
    expect(await problems()).toEqual([]);
    await context.close();
  }, 90_000);

  it('When staff create a product with an image and then change its price, then the public API serves it, the cached page changes at once', async () => {
    const { context, page, problems } = await session(WIDTHS.desktop);
    await signIn(page);
    await page.getByRole('link', { name: 'Products' }).click();
    await page.getByRole('button', { name: 'New product' }).or(page.getByRole('link', { name: 'New product' })).click();
    await page.getByLabel('Title', { exact: true }).fill('Rain barrel');
    await page.getByLabel('Price', { exact: true }).fill('49.00');
    await page.getByLabel('Category', { exact: true }).selectOption({ label: 'Garden' });
    await page.getByLabel('In stock', { exact: true }).fill('7');
    await page.getByLabel('Image (JPEG, PNG, GIF or WebP)').setInputFiles({ name: 'barrel.png', mimeType: 'image/png', buffer: IMAGES.png });
    // Previewed before it is sent.
    const preview = page.getByRole('img', { name: 'The image chosen: barrel.png' });
    await preview.waitFor();
    expect(await preview.getAttribute('src')).toMatch(/^blob:/);
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.getByRole('status').filter({ hasText: 'The product is created.' }).waitFor();
    await page.getByRole('img', { name: 'The current image of Rain barrel' }).waitFor();
    const id = Number(/\/admin\/products\/(\d+)\//.exec(page.url())?.[1]);
    const before = await request(api.app).get(`/api/v1/products/${id}/`);
    expect(before.body).toMatchObject({ title: 'Rain barrel', price: '49.00', stock_quantity: 7 });
    expect(before.body.image).toMatch(/\.png$/);

    await page.getByLabel('Price', { exact: true }).fill('44.00');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'The product is saved.' }).waitFor();
    expect((await request(api.app).get(`/api/v1/products/${id}/`)).body.price).toBe('44.00');
    await page.screenshot({ path: join(ARTIFACTS, 'product-desktop.png'), fullPage: true });
    expect(await problems()).toEqual([]);
    await context.close();
  }, 90_000);

  it('When staff resolve a report and hide the reported review, then it leaves the public list of the product', async () => {
    const author = await registerUser(api);
    const review = await request(api.app).post('/api/v1/reviews/').set(bearer(author.access)).send({ product: productId, rating: 1, comment: 'Visit my shop at example.net' });
    await request(api.app).post(`/api/v1/reviews/${review.body.id}/report/`).set(bearer(buyer.access)).send({ reason: 'spam' });
    const publicComments = async () => ((await request(api.app).get(`/api/v1/reviews/product/${productId}/`)).body.results as { comment: string }[]).map((entry) => entry.comment);
    expect(await publicComments()).toContain('Visit my shop at example.net');

    const { context, page, problems } = await session(WIDTHS.desktop);
    await signIn(page);
    await page.getByRole('link', { name: 'Reviews' }).click();
    const report = page.getByRole('article').filter({ hasText: 'Visit my shop at example.net' });
    await report.getByLabel('Note').fill('Advertising');
    await report.getByRole('button', { name: /^Resolve report/ }).click();
    await page.getByRole('status').filter({ hasText: 'resolved and the review hidden' }).waitFor();
    expect(await publicComments()).not.toContain('Visit my shop at example.net');
    await page.screenshot({ path: join(ARTIFACTS, 'reviews-desktop.png'), fullPage: true });
    expect(await problems()).toEqual([]);
    await context.close();
  }, 90_000);

  it('When staff read the audit log after those tasks, then each of them is there with who did it, and the filter narrows it', async () => {
    const { context, page, problems } = await session(WIDTHS.desktop);
    await signIn(page);
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    const table = (await page.locator('tbody').textContent()) ?? '';
    for (const action of ['user.deactivated', 'order.status_changed', 'product.created', 'product.updated', 'report.resolved', 'review.hidden']) expect(table).toContain(action);
    expect(table).toContain(`${staff.email} (console)`);
    await page.getByLabel('Action').fill('product.updated');
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = page.getByRole('row');
    await rows.nth(1).waitFor();
    expect((await rows.allTextContents()).slice(1).every((text) => text.includes('product.updated'))).toBe(true);
    expect(await page.locator('tbody').textContent()).toMatch(/price: "49\.00"[\s\S]*price: "44\.00"/);
    expect(await problems()).toEqual([]);
    await context.close();
  }, 60_000);

  it.each(Object.entries(WIDTHS))('When each main page is shown at the %s width, then it renders without a CSP violation or error (screenshots kept)', async (name, viewport) => {
    const { context, page, problems } = await session(viewport);
    await page.goto(`${base}/admin/login/`);
    await page.screenshot({ path: join(ARTIFACTS, `login-${name}.png`), fullPage: true });
    await signIn(page);
    for (const [shot, path] of [['dashboard', '/admin/'], ['products', '/admin/products/'], ['categories', '/admin/categories/'], ['orders', '/admin/orders/'], ['reviews', '/admin/reviews/?status=all'], ['users', '/admin/users/'], ['user', `/admin/users/${customer.id}/`], ['webhooks', '/admin/webhooks/'], ['audit', '/admin/audit/']] as const) {
      await page.goto(`${base}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      // Nothing wider than the screen but the tables' own scrolling boxes.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: join(ARTIFACTS, `${shot}-${name}.png`), fullPage: true });
    }
    expect(await problems()).toEqual([]);
    await context.close();
  }, 90_000);

  it('When a webhook subscription is created in the browser, then its secret is shown once and its page offers a test event', async () => {
    const { context, page, problems } = await session(WIDTHS.desktop);
    await signIn(page);
    await page.goto(`${base}/admin/webhooks/`);
    await page.getByRole('button', { name: 'New subscription' }).click();
    await page.getByLabel('URL').fill('http://localhost:9/orders');
    await page.getByLabel('order.paid').check();
    await page.getByLabel('order.shipped').check();
    await page.getByRole('button', { name: 'Create subscription' }).click();
    const secret = await page.locator('#new-secret').textContent();
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('link', { name: /^Open subscription/ }).click();
    await page.getByRole('heading', { level: 1, name: /^Webhook \d+$/ }).waitFor();
    expect(await page.content()).not.toContain(secret as string);
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.getByText('A test event is on its way').waitFor();
    expect(await problems()).toEqual([]);
    await context.close();
  }, 60_000);

  it('When the keyboard alone is used, then sign-in works (labels, focus order, Enter submits)', async () => {
    const { context, page, problems } = await session(WIDTHS.desktop);
    await page.goto(`${base}/admin/login/`);
    await page.getByLabel('Email').focus();
    await page.keyboard.type(staff.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(staff.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await problems()).toEqual([]);
    await context.close();
  }, 60_000);
});
