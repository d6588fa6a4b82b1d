import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWith, findBinary, freePort, stopProcess } from '../support/components';
import { startNexus } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { runShellSession, scanShellBlocks, type ShellBlock } from '../support/doc-blocks';

/**
 * Every shell block of the README, the quickstart and the API guides, run as written, in document order, one
 * bash session per file (`set -euo pipefail`), against ONE fresh `nexus dev` stack shared by all files, so
 * the walk-throughs must also work one after another (no example account used by two docs).
 *
 * The stack is started the way the docs say (`nexus dev`, built bin/run.js) with two deliberate differences:
 * its database is a fresh test database (DATABASE_URL, which the docs offer; the embedded one is covered by
 * tests/cli/commands/dev.test.ts), and it listens on a free port: the docs' origin http://127.0.0.1:8000 is
 * replaced by the stack's origin in every block before it runs (and no block may name another local origin).
 */
const ROOT = join(__dirname, '..', '..');
const DOCUMENTED_ORIGIN = 'http://127.0.0.1:8000';
const LOCAL_ORIGIN = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/g;
const FILES = ['README.md', 'docs/quickstart.md', ...readdirSync(join(ROOT, 'docs', 'api')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/api/${name}`)];
const scans = FILES.map((file) => scanShellBlocks(file, readFileSync(join(ROOT, file), 'utf8')));
const runnable = (file: string): ShellBlock[] => scans.flatMap((scan) => scan.blocks).filter((block) => block.file === file && !block.notRun);

const TOOLS = ['bash', 'curl', 'jq'];
const missingTools = TOOLS.filter((tool) => !findBinary(tool));

describe('the documented shell blocks', () => {
  it('When the docs are scanned, then every shell block runs or says why not, and commands are never in untagged blocks', () => {
    expect(scans.flatMap((scan) => scan.problems)).toEqual([]);
    const skipped = scans.flatMap((scan) => scan.blocks).filter((block) => block.notRun);
    // The few blocks that start servers or run production/test commands, each with its reason.
    expect(skipped.map((block) => `${block.file}:${block.line}: ${block.notRun}`)).toHaveLength(5);
    expect(FILES.filter((file) => runnable(file).length > 0)).toEqual(expect.arrayContaining(['docs/quickstart.md', 'docs/api/auth.md']));
  });

  it('When a block names a local server, then it is the documented origin, and no example email is used by two docs', () => {
    for (const file of FILES) {
      for (const block of runnable(file)) {
        for (const origin of block.code.match(LOCAL_ORIGIN) ?? []) expect({ where: `${file}:${block.line}`, origin }).toEqual({ where: `${file}:${block.line}`, origin: DOCUMENTED_ORIGIN });
      }
    }
    const owners = new Map<string, string>();
    for (const file of FILES) {
      const emails = new Set(runnable(file).flatMap((block) => block.code.toLowerCase().match(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g) ?? []));
      for (const email of emails) {
        expect({ email, usedBy: owners.get(email) ?? file }).toEqual({ email, usedBy: file });
        owners.set(email, file);
      }
    }
  });
});

describeWith(TOOLS.join(', '), missingTools.length === 0, 'the documented walk-throughs against a fresh `nexus dev`', () => {
  let workdir: string;
  let database: TestDatabase;
  let dev: ChildProcess | undefined;
  let serverLog: () => string = () => '';
  let origin: string;

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'nexus-walkthroughs-'));
    chmodSync(workdir, 0o755);
    database = await createTestDatabase();
    const port = await freePort();
    const stack = await startNexus(
      ['dev', '--port', String(port), '--json', '--log-level', 'warn'],
      (stdout) => stdout.includes('"status": "ready"') && stdout.trim().endsWith('}'),
      { cwd: workdir, env: { DATABASE_URL: database.url } },
    );
    dev = stack.child;
    serverLog = stack.stderr;
    origin = `http://127.0.0.1:${port}`;
  }, 120_000);

  afterAll(async () => {
    if (dev) await stopProcess(dev, 'SIGINT');
    await database?.drop();
    rmSync(workdir, { recursive: true, force: true });
  });

  for (const file of FILES.filter((name) => runnable(name).length > 0)) {
    it(`When ${file}'s shell blocks run in order, then every command succeeds`, async () => {
      const blocks = runnable(file).map((block) => ({ ...block, code: block.code.replaceAll(DOCUMENTED_ORIGIN, origin) }));
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: workdir, LANG: 'C.UTF-8' };
      const result = await runShellSession(blocks, { cwd: workdir, env, timeoutMs: 60_000 });
      if (!result.ok) throw new Error(`${file}: ${result.report}\n--- nexus dev log (last lines)\n${serverLog().trimEnd().split('\n').slice(-15).join('\n')}`);
    });
  }
});
