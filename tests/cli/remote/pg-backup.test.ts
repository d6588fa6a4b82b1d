import { spawnSync } from 'node:child_process';
import { connectionInput, takeBackup } from '../../../cli/remote/pg-backup';

describe('backup builders', () => {
  it('When a backup is built, then its only parameter is the file: the connection is not in the command line', () => {
    const command = takeBackup({ kind: 'client' }, '/srv/shop/backups/20261202T031500Z-manual.dump');
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(command.slice(3)).toEqual(['nexus-backup', '/srv/shop/backups/20261202T031500Z-manual.dump']);
    expect(command.join(' ')).not.toMatch(/postgres:\/\/|PGPASSWORD=/);
  });

  it('When the connection is sent, then only PG* variables are taken from stdin, and a newline in a value cannot add another', () => {
    const input = connectionInput({ PGHOST: 'db', PGPASSWORD: 'p\nPATH=/evil\nPGUSER=intruder', PGUSER: 'shop' });
    expect(input).toBe('PGHOST=db\nPGPASSWORD=pPATH=/evilPGUSER=intruder\nPGUSER=shop\n\n');
    // The prelude as it runs: print what it exported.
    const prelude = takeBackup({ kind: 'client' }, '/x')[2]?.split('\n').slice(0, 2).join('\n') ?? '';
    const result = spawnSync('sh', ['-c', `${prelude}\necho "$PGHOST|$PGUSER|$PGPASSWORD|$PATH"`], { input: `${input}PATH=/evil\n`, encoding: 'utf8' });
    expect(result.stdout.trim()).toBe(`db|shop|pPATH=/evilPGUSER=intruder|${process.env.PATH}`);
  });
});
