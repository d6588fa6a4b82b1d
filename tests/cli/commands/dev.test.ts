import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStackInfo } from '../../../cli/services/local-stack';
import { freePort } from '../../support/components';
import { runNexus, startNexus } from '../../support/cli';
import { KEY, Terminal } from '../../support/terminal';
import { STRONG_PASSWORD } from '../../support/users';

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function isReady(stdout: string): boolean {
  return stdout.includes('"status": "ready"') && stdout.trim().endsWith('}');
}

async function portClosed(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/health/liveness/`);
    return false;
  } catch {
    return true;
  }
}

describe('nexus dev', () => {
  let workdir: string;
  const started: ChildProcess[] = [];

  /** Starts `nexus dev` and remembers it, so a failing test cannot leave a stack running. */
  async function startDev(args: string[]): ReturnType<typeof startNexus> {
    const dev = await startNexus(['dev', ...args, '--json', '--log-level', 'warn'], isReady, { cwd: workdir });
    started.push(dev.child);
    return dev;
  }

  beforeAll(() => {
    workdir = mkdtempSync(join(tmpdir(), 'nexus-dev-test-'));
    // As root the embedded PostgreSQL runs as `postgres`, which must be able to enter the data directory.
    chmodSync(workdir, 0o755);
  });
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGTERM');
  });
  afterAll(() => rmSync(workdir, { recursive: true, force: true }));

  it('When started on a fresh machine, then an embedded database is migrated and seeded, the API serves, and Ctrl-C stops everything', async () => {
    const port = await freePort();
    const dev = await startDev(['--port', String(port), '--users', '3']);
    const info = JSON.parse(dev.stdout()) as LocalStackInfo;
    expect(info.apiUrl).toBe(`http://127.0.0.1:${port}/api/v1/`);
    expect(info.database.embedded).toBe(true);
    expect(info.database.url).not.toContain(readFileSync(join(workdir, '.nexus/dev/postgres.password'), 'utf8').trim());

    const health = await json(`http://127.0.0.1:${port}/health/`);
    expect(health).toMatchObject({ status: 200, body: { status: 'healthy', database: 'healthy' } });
    expect((await json(`http://127.0.0.1:${port}/health/readiness/`)).status).toBe(200);

    const registered = await json(`${info.apiUrl}auth/register/`, {
      method: 'POST',
      body: JSON.stringify({ email: 'dev@example.com', username: 'dev', password: STRONG_PASSWORD, password_confirm: STRONG_PASSWORD }),
    });
    expect(registered.status).toBe(201);
    const login = await json(`${info.apiUrl}auth/login/`, { method: 'POST', body: JSON.stringify({ email: 'dev@example.com', password: STRONG_PASSWORD }) });
    expect(login.status).toBe(200);
    const profile = await json(`${info.apiUrl}auth/profile/`, { headers: { Authorization: `Bearer ${String(login.body.access)}` } });
    expect(profile.body).toMatchObject({ email: 'dev@example.com', username: 'dev' });

    const staff = await json(`${info.apiUrl}auth/login/`, { method: 'POST', body: JSON.stringify(info.accounts.staff) });
    expect(staff.status).toBe(200);
    const docs = await fetch(info.docsUrl);
    expect(docs.status).toBe(200);
    // The staff console: the demo staff account signs in through its form.
    const form = await fetch(`${info.consoleUrl}login/`);
    const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const signIn = await fetch(`${info.consoleUrl}login/`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, email: info.accounts.staff.email, password: info.accounts.staff.password }) });
    expect(signIn.status).toBe(303);
    const session = (signIn.headers.getSetCookie().find((line) => line.startsWith('nexus_console=')) ?? '').split(';')[0] as string;
    const dashboard = await fetch(info.consoleUrl, { headers: { cookie: session } });
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain('<h1>Dashboard</h1>');

    // Other commands find the running stack's database without being told.
    const status = await runNexus(['db', 'status', '--json'], { cwd: workdir });
    expect(status.code).toBe(0);
    expect(status.json<{ pending: string[] }>().pending).toEqual([]);
    expect(status.stderr).toContain('nexus dev');

    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(0);
    expect(await portClosed(port)).toBe(true);
    expect(await portClosed(Number(readFileSync(join(workdir, '.nexus/dev/postgres.port'), 'utf8')))).toBe(true);

    // A restart keeps the data and the generated credentials, and does not seed again.
    const again = await startDev(['--port', String(port)]);
    const second = JSON.parse(again.stdout()) as LocalStackInfo;
    expect(second.accounts).toEqual(info.accounts);
    const relogin = await json(`${second.apiUrl}auth/login/`, { method: 'POST', body: JSON.stringify({ email: 'dev@example.com', password: STRONG_PASSWORD }) });
    expect(relogin.status).toBe(200);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('When run at a terminal, then the banner comes out whole and the log follows it as readable lines (not JSON)', async () => {
    const port = await freePort();
    const terminal = Terminal.start(['dev', '--port', String(port)], { cwd: workdir });
    try {
      const upToBanner = await terminal.waitFor('Press Ctrl-C to stop.', 90_000);
      const banner = upToBanner.slice(upToBanner.indexOf('nexus dev is running'));
      // Nothing logged while it started is printed through the banner: it comes after it.
      expect(banner).not.toMatch(/INFO|WARN|"level"/);
      expect(await terminal.waitFor(/\[\d\d:\d\d:\d\d\.\d{3}\] WARN: nexus-api: REDIS_URL is not set/)).toBeTruthy();
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/categories/`)).status).toBe(200);
      const line = await terminal.waitFor(/\[\d\d:\d\d:\d\d\.\d{3}\] INFO: nexus-api: request completed [^\n]*\n/);
      expect(line).toMatch(/"route":"\/api\/v1\/categories\/"/);
      expect(terminal.output()).not.toMatch(/^\{"level"/m);
      // Ctrl-C at a terminal: everything stops, and the interrupt is reported as shells do (130).
      terminal.type(KEY.interrupt);
      expect(await terminal.exited).toBe(130);
      expect(await portClosed(port)).toBe(true);
    } finally {
      Terminal.closeAll();
    }
  });

  it('When its terminal goes away (SIGHUP), then it stops everything as for Ctrl-C, and the next start finds its data directory free', async () => {
    const port = await freePort();
    const dev = await startDev(['--port', String(port)]);
    dev.child.kill('SIGHUP');
    expect(await dev.exited).toBe(0);
    expect(await portClosed(port)).toBe(true);
    expect(await portClosed(Number(readFileSync(join(workdir, '.nexus/dev/postgres.port'), 'utf8')))).toBe(true);
    const again = await startDev(['--port', String(port)]);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('When NODE_ENV is production, then it refuses with exit 5', async () => {
    const result = await runNexus(['dev', '--json'], { cwd: workdir, env: { NODE_ENV: 'production' } });
    expect(result.code).toBe(5);
  });

  it('When the port is taken, then it fails with a clear message and stops the database again', async () => {
    const port = await freePort();
    const blocker = await startDev(['--port', String(port), '--data-dir', '.nexus/blocker', '--skip-seed']);
    const clash = await runNexus(['dev', '--port', String(port), '--json', '--data-dir', '.nexus/clash', '--skip-seed'], { cwd: workdir });
    expect(clash.code).toBe(1);
    expect(clash.json<{ error: { code: string } }>().error.code).toBe('PORT_IN_USE');
    expect(await portClosed(Number(readFileSync(join(workdir, '.nexus/clash/postgres.port'), 'utf8')))).toBe(true);
    blocker.child.kill('SIGINT');
    expect(await blocker.exited).toBe(0);
  });
});
