import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Manifest {
  commands: Record<string, { flags: Record<string, { name: string; hidden?: boolean }> }>;
}

/** `nexus logs [SERVICE]` → `logs`: the heading's words without the arguments (upper case, maybe in brackets). */
function commandOf(section: string): string {
  const heading = /^`nexus ([^`]+)`/.exec(section)?.[1] ?? '';
  return heading
    .split(' ')
    .filter((word) => !/^\[?[A-Z_.]+\]?$/.test(word))
    .join(' ');
}

describe('docs/cli-reference.md', () => {
  const reference = readFileSync(join(ROOT, 'docs', 'cli-reference.md'), 'utf8');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as Manifest;
  const sections = new Map(
    reference
      .split(/^## /m)
      .slice(1)
      .map((section) => [commandOf(section), section] as const),
  );

  it.each(Object.keys(manifest.commands).map((id) => [id.replace(/:/g, ' ')]))('When `nexus %s` exists, then the reference documents it with every flag (run `npm run docs:cli`)', (command) => {
    const section = sections.get(command);
    expect(section).toBeDefined();
    const flags = Object.values(manifest.commands[command.replace(/ /g, ':')]?.flags ?? {}).filter((flag) => !flag.hidden);
    for (const flag of flags) expect([command, section?.includes(`--${flag.name}`)]).toEqual([command, true]);
  });
});
