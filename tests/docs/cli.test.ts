import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../cli/exit-codes';

describe('docs/cli.md', () => {
  it('When an exit code exists, then the documented table lists it', () => {
    const text = readFileSync(join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
    for (const code of Object.values(ExitCode)) expect(text).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });
});
