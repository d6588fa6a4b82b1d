import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { describeWith, findBinary } from '../../support/components';
import { bearer, makeStaff, registerUser, type RegisteredUser } from '../../support/users';

const CHROMIUM = findBinary('chromium');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
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

  beforeAll(async () => {
    api = await startTestApi();
    staff = await registerUser(api, { email: 'staff@example.com' });
    await makeStaff(api, staff.id);
    customer = await registerUser(api, { email: 'customer@example.com' });
    server = createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mkdirSync(ARTIFACTS, { recursive: true });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
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

  it.each(Object.entries(WIDTHS))('When each main page is shown at the %s width, then it renders without a CSP violation or error (screenshots kept)', async (name, viewport) => {
    const { context, page, problems } = await session(viewport);
    await page.goto(`${base}/admin/login/`);
    await page.screenshot({ path: join(ARTIFACTS, `login-${name}.png`), fullPage: true });
    await signIn(page);
    for (const [shot, path] of [['dashboard', '/admin/'], ['users', '/admin/users/'], ['user', `/admin/users/${customer.id}/`], ['audit', '/admin/audit/']] as const) {
      await page.goto(`${base}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      // Nothing wider than the screen but the tables' own scrolling boxes.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: join(ARTIFACTS, `${shot}-${name}.png`), fullPage: true });
    }
    expect(await problems()).toEqual([]);
    await context.close();
  }, 90_000);

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
