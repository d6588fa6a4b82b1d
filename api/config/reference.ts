import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { settings, type SettingSpec } from './schema';

export const REFERENCE_FILE = join(__dirname, '..', '..', 'docs', 'configuration.md');
const BEGIN = '<!-- BEGIN GENERATED: npm run docs:config -->';
const END = '<!-- END GENERATED -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The table of every environment variable, rendered from the config schema. */
export function renderSettingsTable(): string {
  const rows = (Object.entries(settings) as [string, SettingSpec][]).map(
    ([name, spec]) => `| \`${name}\` | ${spec.default === undefined ? '—' : spec.default === '' ? '(empty)' : `\`${spec.default}\``} | ${spec.secret ? 'yes' : ''} | ${cell(spec.description)} |`,
  );
  return ['| Variable | Default | Secret | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** docs/configuration.md with its generated table replaced by the current one. */
export function renderReference(current = readFileSync(REFERENCE_FILE, 'utf8')): string {
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${REFERENCE_FILE} lacks the ${BEGIN} … ${END} markers`);
  return `${current.slice(0, start + BEGIN.length)}\n${renderSettingsTable()}\n${current.slice(end)}`;
}

export function writeReference(): void {
  writeFileSync(REFERENCE_FILE, renderReference());
}
