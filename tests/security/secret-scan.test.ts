import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPOSITORY = join(__dirname, '..', '..');

/** secretlint as `npm run lint` runs it over the repository, here over a directory of planted secrets. */
function scan(dir: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(REPOSITORY, 'node_modules', 'secretlint', 'bin', 'secretlint.js'), '**/*', '--secretlintrc', join(REPOSITORY, '.secretlintrc.json'), '--maskSecrets'], { cwd: dir, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the repository secret scan (secretlint, part of npm run lint)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nexus-secret-scan-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('When a private key or a database URL with a password is committed, then the scan fails and names each', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'deploy.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    // Assembled at run time, so that this file itself holds nothing the scan would find.
    const password = randomBytes(6).toString('hex');
    writeFileSync(join(dir, 'settings.ts'), `export const db = '${['postgres', '://shop:'].join('')}${password}@db.internal:5432/shop';\n`);
    const { status, output } = scan(dir);
    expect(status).not.toBe(0);
    expect(output).toMatch(/PrivateKey/);
    expect(output).toMatch(/PostgreSQLConnection/);
    expect(output).not.toContain(password);
  });

  it('When the files hold no secret, then the scan passes', () => {
    writeFileSync(join(dir, 'settings.ts'), "export const url = process.env.DATABASE_URL ?? '';\n");
    expect(scan(dir)).toMatchObject({ status: 0 });
  });
});
