import { backupId, BACKUP_ID, backupsOfReleases, differences, expiredBackups, parseContent, type BackupKind } from '../../../cli/services/backup-manifest';
import { pgConnection } from '../../../cli/services/pg-connection';

const backup = (createdAt: string, kind: BackupKind = 'scheduled') => ({ id: backupId(new Date(createdAt), kind), kind, createdAt: new Date(createdAt).toISOString() });

describe('backup manifests', () => {
  it('When ids are made, then they sort by time, name the kind and match the id pattern', () => {
    const id = backupId(new Date('2026-12-02T08:37:05.123Z'), 'manual');
    expect(id).toBe('20261202T083705Z-manual');
    expect(BACKUP_ID.test(id)).toBe(true);
    expect(BACKUP_ID.test(`${backupId(new Date(), 'pre-migration')}-20261202-abc`)).toBe(true);
    for (const bad of ['../etc/passwd', '20261202T083705Z-manual/../../x', '20261202T083705Z-weekly', '', '20261202T083705Z-manual.dump']) expect(BACKUP_ID.test(bad)).toBe(false);
  });

  it('When the scripts print content lines, then tables, migration, server and dump are read, other lines ignored', () => {
    const content = parseContent('table\tpublic.users\t3\tabc\nmigration\t2026_b\t2\nserver\t15.20\nNOTICE: x\ndump\t1024\tfeed\n');
    expect(content).toEqual({ tables: { 'public.users': { rows: 3, checksum: 'abc' } }, migration: { latest: '2026_b', count: 2 }, serverVersion: '15.20', dump: { bytes: 1024, sha256: 'feed' } });
  });

  it('When a restore differs from its manifest, then every difference is named', () => {
    const manifest = { migration: { latest: 'b', count: 2 }, tables: { 'public.a': { rows: 1, checksum: 'x' }, 'public.b': { rows: 2, checksum: 'y' }, 'public.c': { rows: 0, checksum: 'z' } } };
    expect(differences(manifest, { migration: { latest: 'b', count: 2 }, tables: { ...manifest.tables } })).toEqual([]);
    expect(
      differences(manifest, { migration: { latest: 'a', count: 1 }, tables: { 'public.a': { rows: 1, checksum: 'q' }, 'public.b': { rows: 3, checksum: 'y' }, 'public.d': { rows: 0, checksum: 'z' } } }),
    ).toEqual([
      'migration: expected b (2), found a (1)',
      'public.a: same 1 rows, different contents',
      'public.b: expected 2 rows, found 3',
      'public.c: missing after restore',
      'public.d: not in the manifest',
    ]);
  });

  it('When retention keeps 3 days and 2 weeks, then the newest of each kept day and week stay and the rest go', () => {
    const all = [
      backup('2026-12-02T03:00:00Z'), // Wed, newest
      backup('2026-12-02T01:00:00Z'), // same day, older: goes
      backup('2026-12-01T03:00:00Z'), // Tue
      backup('2026-11-30T03:00:00Z'), // Mon: third day
      backup('2026-11-29T03:00:00Z'), // Sun, previous week's newest: the second week
      backup('2026-11-28T03:00:00Z'), // goes
      backup('2026-11-20T03:00:00Z'), // a third week: goes
      backup('2026-11-10T03:00:00Z', 'pre-migration'), // a deploy's: never removed by retention
    ];
    expect(expiredBackups(all, { daily: 3, weekly: 2 })).toEqual([all[1]?.id, all[5]?.id, all[6]?.id]);
  });

  it('When retention keeps 1 day and no weeks, then only the newest stays', () => {
    const all = [backup('2026-12-01T03:00:00Z'), backup('2026-12-02T03:00:00Z'), backup('2026-11-01T03:00:00Z', 'manual')];
    expect(expiredBackups(all, { daily: 1, weekly: 0 }).sort()).toEqual([all[0]?.id, all[2]?.id].sort());
  });

  it('When releases are deleted, then exactly the pre-migration backups taken before their migrations go', () => {
    const all = [
      { id: '20261101T000000Z-pre-migration-20261101T000000Z-a', kind: 'pre-migration' as const, before: '20261101T000000Z-a' },
      { id: '20261102T000000Z-pre-migration-20261102T000000Z-b', kind: 'pre-migration' as const, before: '20261102T000000Z-b' },
      { id: '20261101T030000Z-scheduled', kind: 'scheduled' as const, before: '20261101T000000Z-a' },
      { id: '20261101T040000Z-manual', kind: 'manual' as const },
    ];
    expect(backupsOfReleases(all, ['20261101T000000Z-a'])).toEqual([all[0]?.id]);
    expect(backupsOfReleases(all, [])).toEqual([]);
  });

  it('When a URL holds a password, then it goes into PGPASSWORD, decoded, and every part into its variable', () => {
    expect(pgConnection('postgres://shop%40app:p%40ss%3Aw0rd@db.internal:6543/shop?sslmode=require')).toEqual({ // secretlint-disable-line -- made-up credentials, for this test
      database: 'shop',
      environment: { PGDATABASE: 'shop', PGAPPNAME: 'nexus-backup', PGHOST: 'db.internal', PGPORT: '6543', PGUSER: 'shop@app', PGPASSWORD: 'p@ss:w0rd', PGSSLMODE: 'require' },
    });
  });

  it.each(['mysql://x@y/z', 'not a url', 'postgres://x@y:5432/'])('When the URL is %s, then it is a usage error', (url) => {
    expect(() => pgConnection(url)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
