import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { startTestApi, type TestApi } from '../../support/api';
import { describeWith } from '../../support/components';
import { CHROMIUM, launchChromium } from '../../support/chromium';
import { registerUser, type RegisteredUser } from '../../support/users';



interface Violation {
  directive: string;
  blocked: string;
  source: string;
}

/**
 * The documentation pages in a real browser, under the API's real Content-Security-Policy: they must render,
 * break no CSP rule, and Swagger UI must be able to authorise with a JWT and call an endpoint.
 */
describeWith('chromium', CHROMIUM !== undefined, 'docs pages in headless Chromium', () => {
  let api: TestApi;
  let server: Server;
  let base: string;
  let browser: Browser;
  let user: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApi();
    user = await registerUser(api);
    server = createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await api?.close();
  });

  /** A page that records every CSP violation and console error from the first byte on. */
  async function open(path: string): Promise<{ page: Page; expectCleanAndClose: () => Promise<void> }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('response', (answer) => {
      if (answer.status() >= 400) errors.push(`HTTP ${answer.status()} for ${answer.url().replace(base, '')}`);
    });
    // Runs in the page before its own scripts (a string: this file is compiled without the DOM's types).
    await page.addInitScript(`window.__violations = [];
      document.addEventListener('securitypolicyviolation', (event) =>
        window.__violations.push({ directive: event.effectiveDirective, blocked: event.blockedURI, source: event.sourceFile }));`);
    const response = await page.goto(`${base}${path}`);
    expect(response?.status()).toBe(200);
    return {
      page,
      /** No CSP violation and no error from the first byte until now; then the page is closed. */
      async expectCleanAndClose() {
        expect(await page.evaluate<Violation[]>('window.__violations')).toEqual([]);
        expect(errors).toEqual([]);
        await page.close();
      },
    };
  }

  it.each(['/api/v1/docs/', '/'])('When Swagger UI at %s loads, then it renders the operations with no CSP violation or script error', async (path) => {
    const { page, expectCleanAndClose } = await open(path);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(50);
    await expectCleanAndClose();
  }, 60_000);

  it('When ReDoc loads, then it renders the API with no CSP violation or script error', async () => {
    const { page, expectCleanAndClose } = await open('/api/v1/redoc/');
    await page.waitForSelector('.api-content', { timeout: 20_000 });
    expect(await page.locator('.api-content').textContent()).toContain('/api/v1/products/');
    await expectCleanAndClose();
  }, 60_000);

  it('When a JWT is entered in Authorize and an endpoint is tried out, then the call is made with it and answers 200', async () => {
    const { page, expectCleanAndClose } = await open('/api/v1/docs/');
    await page.waitForSelector('.opblock');
    await page.click('.auth-wrapper .authorize');
    await page.fill('.modal-ux input', user.access);
    await page.click('.modal-ux .auth-btn-wrapper .authorize');
    await page.click('.modal-ux .btn-done');
    const operation = page.locator('.opblock-get', { has: page.locator('[data-path="/api/v1/auth/profile/"]') });
    await operation.locator('.opblock-summary').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('.execute').click();
    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 20_000 });
    expect((await status.textContent())?.trim()).toBe('200');
    expect(await operation.locator('.live-responses-table').first().textContent()).toContain(user.email);
    await expectCleanAndClose();
  }, 90_000);
});
