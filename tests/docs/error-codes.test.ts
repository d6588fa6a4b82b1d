import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../api/errors';

describe('docs/api/README.md error codes', () => {
  it('When the API can answer with a code, then the codes table documents it with its status', () => {
    const documented = readFileSync(join(__dirname, '..', '..', 'docs', 'api', 'README.md'), 'utf8');
    const missing = Object.entries(ERROR_CODES).filter(([code, status]) => !documented.includes(`| \`${code}\` | ${status} |`));
    expect(missing).toEqual([]);
  });
});
