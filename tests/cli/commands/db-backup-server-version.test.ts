import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectExit, runNexus } from '../../support/cli';
import { adminQuery, adminUrl, createTestDatabase, type TestDatabase } from '../../support/database';
import { SIGNING_KEY } from '../../support/forged-backup';

/** The major versions of the pg_dump programs on this machine (Debian's per-version directories and PATH's), found independently of nexus. */
function clientMajorsHere(): number[] {
  const programs = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').map((version) => `/usr/lib/postgresql/${version}/bin/pg_dump`) : [];
  const majors: number[] = [];
  for (const program of [...programs, 'pg_dump']) {
    try {
      const match = /\(PostgreSQL\) (\d+)/.exec(execFileSync(program, ['--version'], { encoding: 'utf8' }));
      if (match) majors.push(Number(match[1]));
    } catch {
      // not there
    }
  }
  return majors;
}

/** The harness server's major version, asked before the tests are declared (any psql can ask). */
const MAJOR = Math.floor(Number(execFileSync('psql', [adminUrl(), '-X', '-At', '-c', 'SHOW server_version_num'], { encoding: 'utf8' }).trim()) / 10_000);
const MATCHING = clientMajorsHere().some((client) => client >= MAJOR);

/**
 * The test harness's PostgreSQL is the embedded server `nexus dev` runs (PostgreSQL 18, whose npm package
 * ships no client tools), unless DATABASE_URL names another: backups must use tools of its version.
 */
describe("nexus db backup against the harness's server (the embedded PostgreSQL of nexus dev)", () => {
  let database: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'nexus-backups-'));
  }, 60_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  }, 60_000);

  const backup = () => runNexus(['db', 'backup', '--verify', '--backup-dir', dir, '--json'], { env: { DATABASE_URL: database.url, BACKUP_SIGNING_KEY: SIGNING_KEY }, timeoutMs: 120_000 });
  const scratchDatabases = async () => (await adminQuery((client) => client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1 || '\\_%'", [database.name]), database.url)).rows;

  // Which of the two applies depends on the machine; on Debian 12 with nexus dev's PostgreSQL 18, the first.
  (MATCHING ? it.skip : it)('When no client tools of its major version (or newer) are here, then backup exits 1 naming the version needed and how to get it, and writes nothing', async () => {
    const result = await backup();
    expectExit(result, 1);
    const { error } = result.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('PG_CLIENT_TOO_OLD');
    expect(error.message).toContain(`The database server runs PostgreSQL ${MAJOR}; the newest client tools here are ${Math.max(...clientMajorsHere())}`);
    expect(error.message).toContain(`postgresql-client-${MAJOR}`);
    expect(readdirSync(dir)).toEqual([]);
    expect(await scratchDatabases()).toEqual([]);
  }, 120_000);

  (MATCHING ? it : it.skip)('When client tools of its version are here, then they are used: the backup verifies and records the server version', async () => {
    const result = await backup();
    expectExit(result, 0);
    expect(result.json<{ backup: { serverVersion: string } }>().backup.serverVersion).toMatch(new RegExp(`^${MAJOR}\\.`));
  }, 120_000);
});
