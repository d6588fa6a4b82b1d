import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PICK_CLIENT_TOOLS } from '../../../cli/remote/pg-tools';

/**
 * The rule that picks the client tools by the server's major version, run by sh as the backup scripts run it.
 * Directories of other versions are made here (this machine has Debian's 15 only): each holds psql,
 * pg_dump and pg_restore, and its pg_dump answers --version as a real one of that version does.
 */
describe('picking the PostgreSQL client tools by the server version', () => {
  let root: string;
  const tools = (name: string, version: string, programs = ['psql', 'pg_dump', 'pg_restore']) => {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const program of programs) {
      writeFileSync(join(dir, program), `#!/bin/sh\necho "${program} (PostgreSQL) ${version}"\n`);
      chmodSync(join(dir, program), 0o755);
    }
    return dir;
  };
  const pick = (want: number, candidates: string[]) => {
    const result = spawnSync('sh', ['-c', `${PICK_CLIENT_TOOLS}\ncandidates=$1\npick_client_tools "$2"\nprintf '%s|%s' "$chosen" "$newest_major"`, 'pick', candidates.join('\n'), String(want)], { encoding: 'utf8' });
    const [chosen, newest] = result.stdout.split('|');
    return { chosen, newest };
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'nexus-pg-tools-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("When tools of the server's major version are there, then they are chosen, even after newer ones", () => {
    const [v17, v15, v16] = [tools('17', '17.6'), tools('15', '15.20 (Debian 15.20-0+deb12u1)'), tools('16', '16.10')];
    expect(pick(15, [v17, v15, v16])).toEqual({ chosen: v15, newest: '17' });
    expect(pick(16, [v17, v15, v16])).toEqual({ chosen: v16, newest: '17' });
  });

  it('When none is of that version, then the oldest newer one is chosen (pg_dump dumps older servers), and none when all are older', () => {
    const [v18, v17, v14] = [tools('b18', '18.4'), tools('b17', '17.6'), tools('b14', '14.19')];
    expect(pick(16, [v18, v14, v17])).toEqual({ chosen: v17, newest: '18' });
    expect(pick(18, [v17, v14])).toEqual({ chosen: '', newest: '17' });
    expect(pick(18, [])).toEqual({ chosen: '', newest: '' });
  });

  it('When a directory lacks one of psql, pg_dump and pg_restore, then it is passed over', () => {
    const partial = tools('c15', '15.20', ['psql', 'pg_dump']);
    const whole = tools('c16', '16.10');
    expect(pick(15, [partial, whole])).toEqual({ chosen: whole, newest: '16' });
    expect(pick(15, [partial, join(root, 'missing')])).toEqual({ chosen: '', newest: '' });
  });

  const debian = '/usr/lib/postgresql/15/bin';
  (existsSync(join(debian, 'pg_dump')) ? it : it.skip)("When Debian's own tools are the candidates, then their version is read from the real pg_dump", () => {
    expect(pick(15, [debian])).toEqual({ chosen: debian, newest: '15' });
    expect(pick(18, [debian])).toEqual({ chosen: '', newest: '15' });
  });
});
