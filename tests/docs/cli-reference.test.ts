import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Manifest {
  commands: Record<string, { flags: Record<string, { name: string; hidden?: boolean }> }>;
}

describe('docs/cli-reference.md', () => {
  const reference = readFileSync(join(ROOT, 'docs', 'cli-reference.md'), 'utf8');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as Manifest;
  const sections = new Map(
    reference
      .split(/^## /m)
      .slice(1)
      .map((section) => [/^`nexus ([^`]+)`/.exec(section)?.[1]?.replace(/ \[COMMAND\]$/, '') ?? '', section] as const),
  );

  it.each(Object.keys(manifest.commands).map((id) => [id.replace(/:/g, ' ')]))('When `nexus %s` exists, then the reference documents it with every flag (run `npm run docs:cli`)', (command) => {
    const section = sections.get(command);
    expect(section).toBeDefined();
    const flags = Object.values(manifest.commands[command.replace(/ /g, ':')]?.flags ?? {}).filter((flag) => !flag.hidden);
    for (const flag of flags) expect([command, section?.includes(`--${flag.name}`)]).toEqual([command, true]);
  });
});
