import { readFileSync } from 'node:fs';
import { REFERENCE_FILE, renderReference } from '../../api/config/reference';
import { settings } from '../../api/config';

describe('docs/configuration.md', () => {
  it('When the config schema changes, then the generated reference is regenerated (npm run docs:config)', () => {
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(renderReference());
  });

  it('When the reference is read, then every setting is documented', () => {
    const text = readFileSync(REFERENCE_FILE, 'utf8');
    for (const name of Object.keys(settings)) expect(text).toContain(`| \`${name}\` |`);
  });
});
