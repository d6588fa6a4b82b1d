import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '@oclif/test';

const root = join(__dirname, '..', '..', '..');

interface ManifestFlag {
  type: 'option' | 'boolean';
  options?: string[];
  helpValue?: string;
}
interface ManifestCommand {
  flags: Record<string, ManifestFlag>;
  args: Record<string, { required?: boolean }>;
}
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, ManifestCommand> };

/**
 * Flags that take any text by design (or a path created when missing), so no value is bad when the command
 * line is parsed. Every other flag must refuse a bad value with a usage error naming it.
 */
const FREE_TEXT = new Set([
  'db:backup:backup-dir',
  'db:backup:list:backup-dir',
  'db:backup:verify:backup-dir',
  'db:restore:backup-dir',
  'db:backup:download',
  'db:restore:confirm',
  'deploy:rollback:confirm',
  'deploy:image',
  'dev:data-dir',
  'init:key',
  'lock:acquire:reason',
  'logs:grep',
  'logs:nginx-log-dir',
  'users:list:search',
  'webhooks:add:url',
  'webhooks:add:description',
]);

/** A value no typed flag accepts: short garbage for text (no spaces: runCommand splits on them), a path that cannot exist for files and directories. */
const badValue = (flag: ManifestFlag) => (flag.helpValue === '<file>' || flag.helpValue === '<dir>' ? '/nonexistent-nexus-dir/x' : '@bad!');

const cases = Object.entries(manifest.commands).flatMap(([id, command]) => {
  // Required positional arguments get a placeholder, so that only the flag can be wrong.
  const args = Object.values(command.args).filter((arg) => arg.required).map(() => 'placeholder');
  return Object.entries(command.flags)
    .filter(([name, flag]) => flag.type === 'option' && !FREE_TEXT.has(`${id}:${name}`))
    .map(([name, flag]) => ({ id, name, argv: [...id.split(':'), ...args, `--${name}=${badValue(flag)}`] }));
});

async function nexus(argv: string[]) {
  const { error, stdout, stderr } = await runCommand(argv, { root });
  // Node's own warnings (jest's VM modules, emitted once on the first import, at any point of the output) are not the command's.
  const own = stderr.replace(/^\(node:\d+\) \w*Warning[^\n]*\n(\(Use `node --trace-warnings[^\n]*\n)?/gm, '');
  return { exit: (error as { oclif?: { exit?: number } } | undefined)?.oclif?.exit ?? 0, stdout, stderr: own };
}

describe('bad flag values, every command (from the oclif manifest)', () => {
  const previousCi = process.env.CI;
  beforeAll(() => {
    process.env.CI = '1'; // never a prompt, whatever a regression does
  });
  // The first command loaded pays for the cold import (and Node's one-off warnings): pay it here, not in the first case.
  beforeAll(() => runCommand([...(cases[0]?.id.split(':') ?? []), '--help'], { root }), 60_000);
  afterAll(() => {
    process.env.CI = previousCi;
  });

  it('lists every free-text exception against a flag that exists', () => {
    const flags = new Set(Object.entries(manifest.commands).flatMap(([id, command]) => Object.keys(command.flags).map((name) => `${id}:${name}`)));
    expect([...FREE_TEXT].filter((entry) => !flags.has(entry))).toEqual([]);
    expect(cases.length).toBeGreaterThan(60);
  });

  /** The integer flags, found by the message their garbage value gets, for the range check below. */
  const integers: typeof cases = [];

  it.each(cases)('nexus $id --$name with a bad value is a usage error naming the flag', async (testCase) => {
    const result = await nexus(testCase.argv);
    expect({ exit: result.exit, firstLine: result.stderr.split('\n')[0] }).toEqual({ exit: 2, firstLine: expect.stringMatching(new RegExp(`^Error \\(USAGE\\): .*--${testCase.name}\\b`)) });
    expect(result.stderr).not.toContain('UNEXPECTED');
    if (result.stderr.includes('Expected an integer')) integers.push(testCase);
  });

  it('an integer flag out of its range is a usage error too (every integer flag has bounds)', async () => {
    expect(integers.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const { name, argv } of integers) {
      const result = await nexus([...argv.slice(0, -1), `--${name}=-1000000000`]);
      if (result.exit !== 2 || !result.stderr.includes(`--${name}`) || result.stderr.includes('UNEXPECTED')) failures.push(`${argv.join(' ')}: ${result.stderr}`);
    }
    expect(failures).toEqual([]);
  });
});
