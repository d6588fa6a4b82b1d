import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DevState } from '../../../cli/services/dev-state';
import type { LocalStackInfo } from '../../../cli/services/local-stack';
import { expectExit, runNexus, startNexus } from '../../support/cli';
import { freePort } from '../../support/components';

/**
 * The local stack the way a newcomer uses it: `nexus dev` in a project, then other commands from a
 * subdirectory while it runs (a second `nexus dev`, `db status`, the documented "start over"). One stack,
 * shared by every case.
 */

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';

async function login(apiUrl: string, account: { email: string; password: string }): Promise<number> {
  const response = await fetch(`${apiUrl}auth/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) });
  return response.status;
}

/** A fingerprint of the demo data: every product slug, user email and review, in a stable order. */
async function dataset(databaseUrl: string): Promise<Record<string, string>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(`SELECT
      (SELECT count(*) || ':' || md5(string_agg(slug, ',' ORDER BY slug)) FROM products) AS products,
      (SELECT count(*) || ':' || md5(string_agg(email, ',' ORDER BY email)) FROM users) AS users,
      (SELECT count(*) || ':' || md5(string_agg(u.email || p.slug || r.rating, ',' ORDER BY u.email, p.slug))
         FROM reviews r JOIN users u ON u.id = r.user_id JOIN products p ON p.id = r.product_id) AS reviews`);
    return rows[0] as Record<string, string>;
  } finally {
    await client.end();
  }
}

describe('nexus dev, walked through as a newcomer does', () => {
  let project: string;
  let subdirectory: string;
  /** TMPDIR of every nexus process here: whatever they leave in it is visible. */
  let scratch: string;
  let dev: { child: ChildProcess; stdout: () => string; exited: Promise<number | null> };
  let info: LocalStackInfo;
  let port: number;
  const devDir = () => join(project, '.nexus', 'dev');
  const env = () => ({ TMPDIR: scratch });

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'nexus-walkthrough-'));
    scratch = mkdtempSync(join(tmpdir(), 'nexus-walkthrough-tmp-'));
    // As root the embedded PostgreSQL runs as `postgres`, which must be able to enter both.
    chmodSync(project, 0o755);
    chmodSync(scratch, 0o755);
    subdirectory = join(project, 'src', 'deeper');
    mkdirSync(subdirectory, { recursive: true });
    port = await freePort();
    dev = await startNexus(['dev', '--json', '--port', String(port), '--log-level', 'warn'], (stdout) => stdout.includes('"status": "ready"') && stdout.trim().endsWith('}'), {
      cwd: project,
      env: env(),
    });
    info = JSON.parse(dev.stdout()) as LocalStackInfo;
  });

  afterAll(async () => {
    if (dev?.child.exitCode === null) {
      dev.child.kill('SIGINT');
      await dev.exited;
    }
    rmSync(project, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('When the database was initialised, then no copy of its superuser password is left in TMPDIR', () => {
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('When a second nexus dev starts from a subdirectory, then it is refused with where the first runs and the first keeps working untouched', async () => {
    const files = ['state.json', 'postgres.port', 'dev.pid', 'accounts.json'];
    const before = files.map((file) => readFileSync(join(devDir(), file), 'utf8'));
    const secondPort = await freePort();

    const second = await runNexus(['dev', '--port', String(secondPort)], { cwd: subdirectory, env: env() });
    expectExit(second, 6);
    expect(second.stderr).toContain(`already running at http://127.0.0.1:${port} (pid ${dev.child.pid})`);
    const json = await runNexus(['dev', '--json', '--port', String(secondPort)], { cwd: subdirectory, env: env() });
    expect(json.json()).toMatchObject({ error: { code: 'DEV_ALREADY_RUNNING', exitCode: 6, details: { pid: dev.child.pid, apiUrl: `http://127.0.0.1:${port}` } } });

    expect(files.map((file) => readFileSync(join(devDir(), file), 'utf8'))).toEqual(before);
    expect(readdirSync(join(subdirectory))).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${port}/health/`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${secondPort}/health/`)).rejects.toThrow();
    const status = await runNexus(['db', 'status', '--json'], { cwd: subdirectory, env: env() });
    expectExit(status, 0);
    expect(status.stderr).toContain('Using the database of the running `nexus dev`');
  });

  it('When the documented "start over" runs (db reset --yes && db seed), then the same data comes back and the accounts nexus dev printed log in', async () => {
    const { databaseUrl } = JSON.parse(readFileSync(join(devDir(), 'state.json'), 'utf8')) as DevState;
    const seeded = await dataset(databaseUrl);
    expect(seeded.products).toMatch(/^500:/);

    expectExit(await runNexus(['db', 'reset', '--yes'], { cwd: subdirectory, env: env() }), 0);
    expect(await login(info.apiUrl, info.accounts.staff)).toBe(401);
    const seed = await runNexus(['db', 'seed'], { cwd: subdirectory, env: env() });
    expectExit(seed, 0);

    expect(await dataset(databaseUrl)).toEqual(seeded);
    expect(await login(info.apiUrl, info.accounts.staff)).toBe(200);
    expect(await login(info.apiUrl, info.accounts.customer)).toBe(200);
    // The passwords printed are exactly those of the accounts just created.
    expect(seed.stdout).toContain(`admin@demo.nexus.test  /  ${info.accounts.staff.password}`);
    expect(seed.stdout).toContain(`customer@demo.nexus.test  /  ${info.accounts.customer.password}`);
    expect(seed.stdout).toContain(`demo customers created share the password: ${info.accounts.customer.password}`);

    // Seeding again creates nothing, so it prints no password at all.
    const again = await runNexus(['db', 'seed', '--json'], { cwd: subdirectory, env: env() });
    expectExit(again, 0);
    expect(again.json()).toMatchObject({ users: 0, products: 0, reviews: 0, accounts: [] });
    expect(again.json()).not.toHaveProperty('demoPassword');
  });

  it('When nexus.yml is in a parent directory, then a command run below finds it; without one, the message names the absolute directory', async () => {
    expectExit(await runNexus(['init', '--name', 'shop', '--host', '203.0.113.10', '--host-key', PIN, '--domain', 'shop.example.com', '--mail', 'disabled', '--payment', 'simulated', '--tls-email', 'ops@example.com'], { cwd: project, env: env() }), 0);
    const site = await runNexus(['config', 'nginx', '--target', 'production', '--upstream-port', '8001'], { cwd: subdirectory, env: env() });
    expectExit(site, 0);
    expect(site.stdout).toContain('server_name shop.example.com;');

    const elsewhere = mkdtempSync(join(tmpdir(), 'nexus-no-project-'));
    try {
      const missing = await runNexus(['config', 'nginx', '--target', 'production', '--upstream-port', '8001'], { cwd: elsewhere, env: env() });
      expectExit(missing, 3);
      expect(missing.stderr).toContain(`No nexus.yml in ${elsewhere} or any directory above it`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('When the stack stops, then it gives the directory up; files a crashed stack left behind are taken over by the next start', async () => {
    const state = readFileSync(join(devDir(), 'state.json'), 'utf8');
    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(0);
    expect(readdirSync(devDir()).filter((file) => ['state.json', 'dev.pid'].includes(file))).toEqual([]);
    expectExit(await runNexus(['db', 'status'], { cwd: subdirectory, env: env() }), 2);

    // What a SIGKILLed stack leaves: its pid (now nobody's) and its published state.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(devDir(), 'dev.pid'), `${gone}\n`);
    writeFileSync(join(devDir(), 'state.json'), state.replace(/"pid": \d+/, `"pid": ${gone}`));
    const again = await startNexus(['dev', '--json', '--port', String(port), '--log-level', 'warn'], (stdout) => stdout.includes('"status": "ready"'), { cwd: subdirectory, env: env() });
    try {
      expect(readFileSync(join(devDir(), 'dev.pid'), 'utf8').trim()).toBe(String(again.child.pid));
    } finally {
      again.child.kill('SIGTERM');
    }
    expect(await again.exited).toBe(0);
  });
});
