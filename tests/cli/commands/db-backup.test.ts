import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BackupManifest } from '../../../cli/services/backup-manifest';
import { createDatabase } from '../../../db/connection';
import { migrateLatest, migrationStatus } from '../../../db/migrator';
import { migratorConfig } from '../../../db/migration-source';
import { expectExit, runNexus, type CliResult } from '../../support/cli';
import { describeWith, freePort, waitFor } from '../../support/components';
import { adminQuery } from '../../support/database';
import { ATTACKER_KEY, forgeManifest, SIGNING_KEY, type Forgery } from '../../support/forged-backup';
import { withUmask } from '../../support/umask';
import { createSystemDatabase, systemPostgresAvailable, tableDigests, type SystemDatabase } from '../../support/system-postgres';

interface BackupJson {
  backup: BackupManifest;
  verified: { tables: number; rows: number } | null;
  pruned: string[];
  downloaded: string | null;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describeWith('PostgreSQL on 5432 with psql, pg_dump and pg_restore', systemPostgresAvailable, 'nexus db backup and restore (local, real PostgreSQL)', () => {
  let database: SystemDatabase;
  let dir: string;

  const nexus = (args: string[], url = database.url, env: Record<string, string | undefined> = {}): Promise<CliResult> =>
    runNexus([...args, '--backup-dir', dir, '--json'], { env: { DATABASE_URL: url, BACKUP_SIGNING_KEY: SIGNING_KEY, ...env }, timeoutMs: 120_000 });
  const backup = async (args: string[] = []): Promise<BackupJson> => {
    const result = await nexus(['db', 'backup', ...args]);
    expectExit(result, 0);
    return result.json<BackupJson>();
  };
  const databasesLike = (prefix: string) => adminQuery(async (client) => (await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1 || '\\_%' ORDER BY 1", [prefix])).rows.map((row) => row.datname), database.url);

  beforeAll(async () => {
    database = await createSystemDatabase();
    await database.db('categories').insert([{ name: 'Tea', slug: 'tea' }, { name: "O'Brien \"quoted\" ☕ \\ tab\t", slug: 'odd' }]);
    const [category] = await database.db('categories').where({ slug: 'tea' }).select('id');
    await database.db('products').insert(Array.from({ length: 300 }, (_, index) => ({ title: `Product ${index} — ünïcode`, slug: `product-${index}`, price: (index + 1) * 1.25, stock_quantity: index, category_id: category.id, description: index % 7 === 0 ? '' : 'x'.repeat(index) })));
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  }, 60_000);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nexus-backups-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('When a backup is taken, then the dump (mode 600) and its manifest record every table, the migration and the sha256', async () => {
    const { backup: manifest } = await backup();
    const dump = join(dir, manifest.dump.file);
    expect(statSync(dump).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, `${manifest.id}.json`)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, `${manifest.id}.verified`))).toBe(false);
    expect(manifest.dump).toEqual({ file: `${manifest.id}.dump`, bytes: statSync(dump).size, sha256: sha256(dump) });
    expect(manifest).toMatchObject({ kind: 'manual', database: database.name, release: expect.stringMatching(/^local /), migration: { latest: expect.stringMatching(/^\d{14}_/), count: expect.any(Number) } });
    expect(manifest.tables['public.products']?.rows).toBe(300);
    expect(manifest.tables['public.categories']?.rows).toBe(2);
    expect(manifest.tables['public.knex_migrations']?.rows).toBe(manifest.migration.count);
  });

  it('When data changes after a backup and the backup is restored, then every table is identical to the time of the backup, and the replaced database is kept', async () => {
    const before = await tableDigests(database.url);
    const { backup: manifest } = await backup();
    await database.db('products').where('stock_quantity', '<', 50).del();
    await database.db('products').update({ price: 9.99 }).where('stock_quantity', '>', 200);
    await database.db('categories').insert({ name: 'Later', slug: 'later' });
    expect(await tableDigests(database.url)).not.toEqual(before);

    const result = await nexus(['db', 'restore', manifest.id, '--yes']);
    expectExit(result, 0);
    const restored = result.json<{ restored: { previous: string; tables: number } }>().restored;
    expect(await tableDigests(database.url)).toEqual(before);
    expect(await databasesLike(database.name)).toEqual([restored.previous]);
    const previousCount = await adminQuery(async (client) => (await client.query<{ count: string }>("SELECT count(*) FROM categories WHERE slug = 'later'")).rows[0]?.count, database.url.replace(database.name, restored.previous));
    expect(previousCount).toBe('1');
    await adminQuery((client) => client.query(`DROP DATABASE ${client.escapeIdentifier(restored.previous)}`), database.url);
    // The application's pool reconnects by name, to the restored data.
    await database.db.destroy();
    database.db = createDatabase({ url: database.url });
    expect(Number((await database.db('categories').count<{ count: string }[]>('* as count'))[0]?.count)).toBe(2);
  }, 120_000);

  it('When a backup is verified, then it is restored into a scratch database that is dropped again, and the live database is untouched', async () => {
    const before = await tableDigests(database.url);
    const { backup: manifest, verified } = await backup(['--verify']);
    expect(verified).toMatchObject({ tables: Object.keys(manifest.tables).length, rows: Object.values(manifest.tables).reduce((sum, table) => sum + table.rows, 0) });
    // Recorded beside the backup, for `nexus status`.
    const record = join(dir, `${manifest.id}.verified`);
    expect(statSync(record).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(record, 'utf8'))).toEqual({ id: manifest.id, verifiedAt: expect.any(String), signature: 'valid', tables: verified?.tables, rows: verified?.rows });
    const again = await nexus(['db', 'backup', 'verify', manifest.id]);
    expectExit(again, 0);
    expect(await databasesLike(database.name)).toEqual([]);
    expect(await tableDigests(database.url)).toEqual(before);
  }, 120_000);

  it('When a byte of the dump is changed, then verify and restore refuse it before restoring anything', async () => {
    const before = await tableDigests(database.url);
    const { backup: manifest } = await backup();
    const dump = join(dir, manifest.dump.file);
    const bytes = readFileSync(dump);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0xff;
    writeFileSync(dump, bytes);
    for (const args of [['db', 'backup', 'verify', manifest.id], ['db', 'restore', manifest.id, '--yes']]) {
      const result = await nexus(args);
      expectExit(result, 1);
      expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringContaining('does not match its manifest') });
    }
    expect(await databasesLike(database.name)).toEqual([]);
    expect(await tableDigests(database.url)).toEqual(before);
  }, 120_000);

  it('When the manifest disagrees with the dump (a table lost rows), then the restore is checked, refused, its copy dropped, and nothing switched', async () => {
    const before = await tableDigests(database.url);
    const { backup: manifest } = await backup();
    const tampered = { ...manifest, tables: { ...manifest.tables, 'public.products': { rows: 301, checksum: manifest.tables['public.products']?.checksum ?? '' } } };
    writeFileSync(join(dir, `${manifest.id}.json`), JSON.stringify(tampered));
    // The edit breaks the signature; past that (--allow-unsigned), the restore itself is still checked.
    const result = await nexus(['db', 'restore', manifest.id, '--yes', '--allow-unsigned']);
    expectExit(result, 1);
    expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'BACKUP_MISMATCH', message: expect.stringContaining('public.products: expected 301 rows, found 300') });
    expect(await databasesLike(database.name)).toEqual([]);
    expect(await tableDigests(database.url)).toEqual(before);
  }, 120_000);

  it('When a backup from an older migration version is restored, then the schema and data are that version again', async () => {
    const older = await createSystemDatabase({ migrate: false });
    try {
      const { pending } = await migrationStatus(older.db);
      for (let step = 0; step < pending.length - 1; step += 1) await older.db.migrate.up(migratorConfig());
      const target = pending.at(-2) ?? '';
      const run = (args: string[]) => nexus(args, older.url);
      const taken = await run(['db', 'backup']);
      expectExit(taken, 0);
      const manifest = taken.json<BackupJson>().backup;
      expect(manifest.migration.latest).toBe(target);
      await migrateLatest(older.db);
      const restored = await run(['db', 'restore', manifest.id, '--yes']);
      expectExit(restored, 0);
      expect(restored.json<{ pendingMigrations: string[] }>().pendingMigrations).toEqual([pending.at(-1)]);
      await older.db.destroy();
      older.db = createDatabase({ url: older.url });
      const [latest] = await older.db('knex_migrations').orderBy('id', 'desc').limit(1).select('name');
      expect(latest.name).toBe(manifest.migration.latest);
    } finally {
      await older.drop();
    }
  }, 120_000);

  it('When writes run during the backup, then the manifest is one consistent snapshot and the backup verifies', async () => {
    await database.db.raw('CREATE TABLE IF NOT EXISTS backup_probe_orders (id serial PRIMARY KEY, at timestamptz DEFAULT now())');
    await database.db.raw('CREATE TABLE IF NOT EXISTS backup_probe_lines (id serial PRIMARY KEY, order_id integer REFERENCES backup_probe_orders(id), n integer)');
    let writing = true;
    let written = 0;
    // Each order comes with exactly two lines in one transaction: a torn snapshot would show orders ≠ lines / 2.
    const writer = (async () => {
      while (writing && written < 20_000) {
        await database.db.transaction(async (trx) => {
          const [order] = await trx('backup_probe_orders').insert({}).returning('id');
          await trx('backup_probe_lines').insert([{ order_id: order.id, n: 1 }, { order_id: order.id, n: 2 }]);
        });
        written += 1;
      }
    })();
    try {
      await waitFor('the writer to commit a few orders', () => Promise.resolve(written >= 20));
      const { backup: manifest, verified } = await backup(['--verify']);
      expect(verified).not.toBeNull();
      const orders = manifest.tables['public.backup_probe_orders']?.rows ?? 0;
      expect(orders).toBeGreaterThan(0);
      expect(manifest.tables['public.backup_probe_lines']?.rows).toBe(orders * 2);
    } finally {
      writing = false;
      await writer;
    }
    expect(written).toBeGreaterThan(0);
    await database.db.raw('DROP TABLE backup_probe_lines, backup_probe_orders');
  }, 120_000);

  it('When retention runs, then only the backups it does not keep are removed, and pre-migration ones stay', async () => {
    const { backup: template } = await backup(['--no-prune']);
    const fake = (createdAt: string, kind: string) => {
      const id = `${createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${kind}`;
      writeFileSync(join(dir, `${id}.json`), JSON.stringify({ ...template, id, kind, createdAt, dump: { ...template.dump, file: `${id}.dump` } }));
      writeFileSync(join(dir, `${id}.dump`), 'old');
      return id;
    };
    const yesterday = fake(new Date(Date.now() - 86_400_000).toISOString(), 'scheduled');
    const yesterdayEarlier = fake(new Date(Date.now() - 86_400_000 - 3_600_000).toISOString(), 'scheduled');
    const lastMonth = fake(new Date(Date.now() - 40 * 86_400_000).toISOString(), 'manual');
    // A verification's record goes with its backup.
    writeFileSync(join(dir, `${lastMonth}.verified`), '{}');
    const deploy = fake(new Date(Date.now() - 60 * 86_400_000).toISOString(), 'pre-migration');
    // Backup ids have one-second resolution: the next backup must not share the template's second.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() - Date.parse(template.createdAt)) + 50));
    const { backup: newest, pruned } = await backup(['--keep-daily', '2', '--keep-weekly', '0']);
    expect(pruned.sort()).toEqual([template.id, yesterdayEarlier, lastMonth].sort());
    const left = readdirSync(dir).sort();
    expect(left).toEqual([`${deploy}.dump`, `${deploy}.json`, `${newest.id}.dump`, `${newest.id}.json`, `${yesterday}.dump`, `${yesterday}.json`].sort());
    const listed = await nexus(['db', 'backup', 'list']);
    expectExit(listed, 0);
    expect(listed.json<{ backups: BackupManifest[] }>().backups.map((entry) => entry.id)).toEqual([deploy, yesterday, newest.id]);
  }, 120_000);

  it('When --download is given, then the dump and manifest are copied there, byte for byte', async () => {
    const target = mkdtempSync(join(tmpdir(), 'nexus-downloads-'));
    try {
      const { backup: manifest, downloaded } = await backup(['--download', target]);
      expect(downloaded).toBe(join(target, manifest.dump.file));
      expect(sha256(join(target, manifest.dump.file))).toBe(manifest.dump.sha256);
      expect(JSON.parse(readFileSync(join(target, `${manifest.id}.json`), 'utf8'))).toEqual(manifest);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  }, 120_000);

  it('When the database records production, then restore is refused without --confirm <database> (even with --yes), and works with it', async () => {
    const { backup: manifest } = await backup();
    await database.db('nexus_meta').insert({ key: 'environment', value: 'production', updated_at: new Date() }).onConflict('key').merge();
    try {
      const refused = await nexus(['db', 'restore', manifest.id, '--yes']);
      expectExit(refused, 5);
      expect(refused.json<{ error: { message: string } }>().error.message).toContain(`--confirm ${database.name}`);
      expect(await databasesLike(database.name)).toEqual([]);
      const confirmed = await nexus(['db', 'restore', manifest.id, '--confirm', database.name]);
      expectExit(confirmed, 0);
      const { previous } = confirmed.json<{ restored: { previous: string } }>().restored;
      await adminQuery((client) => client.query(`DROP DATABASE ${client.escapeIdentifier(previous)}`), database.url);
    } finally {
      await database.db.destroy();
      database.db = createDatabase({ url: database.url });
      await database.db('nexus_meta').where({ key: 'environment' }).del();
    }
  }, 120_000);

  describe('signed manifests', () => {
    const intruder = { email: 'intruder@example.com', username: 'intruder', password_hash: 'x', is_staff: true, is_superuser: true };
    const refusal = (result: CliResult) => result.json<{ error: { code: string; message: string } }>().error;

    /**
     * The review's attack: a genuine backup, then the forger's dump of the same database with an extra staff
     * account (made by nexus run with the forger's own key), put in the genuine backup's place.
     */
    const swapped = async () => {
      const { backup: victim } = await backup();
      const forgerDir = mkdtempSync(join(tmpdir(), 'nexus-forger-'));
      try {
        await database.db('users').insert(intruder);
        const made = await runNexus(['db', 'backup', '--backup-dir', forgerDir, '--json'], { env: { DATABASE_URL: database.url, BACKUP_SIGNING_KEY: ATTACKER_KEY }, timeoutMs: 120_000 });
        expectExit(made, 0);
        const source = made.json<BackupJson>().backup;
        copyFileSync(join(forgerDir, source.dump.file), join(dir, victim.dump.file));
        return { victim, source };
      } finally {
        await database.db('users').where({ email: intruder.email }).del();
        rmSync(forgerDir, { recursive: true, force: true });
      }
    };

    it('When a dump is swapped and its manifest recomputed to match (an extra staff account), then verify and restore refuse it however the signature was faked, and nothing is restored', async () => {
      const { victim, source } = await swapped();
      const before = await tableDigests(database.url);
      const cases: [Forgery, string][] = [
        ['unsigned', 'BACKUP_UNSIGNED'],
        ['kept-signature', 'BACKUP_SIGNATURE_INVALID'],
        ['our-key-id', 'BACKUP_SIGNATURE_INVALID'],
        ['attacker-key', 'BACKUP_KEY_UNKNOWN'],
      ];
      for (const [how, code] of cases) {
        const forged = forgeManifest(victim, source, how);
        // Every checksum agrees with the swapped dump: without a signature nothing could tell.
        expect(forged.dump.sha256).toBe(sha256(join(dir, victim.dump.file)));
        writeFileSync(join(dir, `${victim.id}.json`), JSON.stringify(forged));
        for (const args of [['db', 'backup', 'verify', victim.id], ['db', 'restore', victim.id, '--yes']]) {
          const result = await nexus(args);
          expectExit(result, 5);
          expect({ how, ...refusal(result) }).toMatchObject({ how, code, message: expect.stringContaining('nothing was restored') });
        }
      }
      expect(await databasesLike(database.name)).toEqual([]);
      expect(await tableDigests(database.url)).toEqual(before);
    }, 240_000);

    it('When the swapped backup is used with --allow-unsigned, then verify and restore warn, name the risk, and go on (the staff account arrives)', async () => {
      const { victim, source } = await swapped();
      writeFileSync(join(dir, `${victim.id}.json`), JSON.stringify(forgeManifest(victim, source, 'unsigned')));
      const verified = await nexus(['db', 'backup', 'verify', victim.id, '--allow-unsigned']);
      expectExit(verified, 0);
      expect(verified.json<{ verified: { signature: string } }>().verified.signature).toBe('unsigned');
      expect(verified.stderr).toMatch(/Warning: Backup \S+ is not signed: whoever can write where the backups are kept could have replaced it.*--allow-unsigned/);
      const restored = await nexus(['db', 'restore', victim.id, '--yes', '--allow-unsigned']);
      expectExit(restored, 0);
      expect(restored.stderr.match(/Warning:/g)).toHaveLength(1);
      const { previous, signature } = restored.json<{ restored: { previous: string; signature: string } }>().restored;
      expect(signature).toBe('unsigned');
      await database.db.destroy();
      database.db = createDatabase({ url: database.url });
      const [arrived] = await database.db('users').where({ email: intruder.email, is_staff: true }).count<{ count: string | number }[]>('* as count');
      await database.db('users').where({ email: intruder.email }).del();
      expect(Number(arrived?.count)).toBe(1);
      await adminQuery((client) => client.query(`DROP DATABASE ${client.escapeIdentifier(previous)}`), database.url);
    }, 240_000);

    it('When the key is wrong or missing, then a genuine backup is refused (exit 5 / exit 3); after a rotation the previous key still checks it, and list shows each state', async () => {
      const { backup: genuine } = await backup();
      const wrong = await nexus(['db', 'backup', 'verify', genuine.id], database.url, { BACKUP_SIGNING_KEY: ATTACKER_KEY });
      expectExit(wrong, 5);
      expect(refusal(wrong).code).toBe('BACKUP_KEY_UNKNOWN');
      const none = await nexus(['db', 'backup', 'verify', genuine.id], database.url, { BACKUP_SIGNING_KEY: undefined });
      expectExit(none, 3);
      expect(refusal(none)).toMatchObject({ code: 'BACKUP_KEY_MISSING', message: expect.stringContaining('BACKUP_SIGNING_KEY') });
      const rotated = await nexus(['db', 'backup', 'verify', genuine.id], database.url, { BACKUP_SIGNING_KEY: ATTACKER_KEY, BACKUP_SIGNING_KEYS_PREVIOUS: SIGNING_KEY });
      expectExit(rotated, 0);
      expect(rotated.json<{ verified: { signature: string } }>().verified.signature).toBe('valid-previous-key');

      // A backup made before signing (the upgrade case), and one whose manifest was edited.
      const { signature: _signature, ...older } = { ...genuine, id: genuine.id.replace('-manual', '-scheduled'), kind: 'scheduled' as const };
      writeFileSync(join(dir, `${older.id}.json`), JSON.stringify({ ...older, dump: { ...older.dump, file: `${older.id}.dump` } }));
      const edited = { ...genuine, id: genuine.id.replace(/^\d{8}/, '20200101') };
      writeFileSync(join(dir, `${edited.id}.json`), JSON.stringify(edited));
      const states = async (env: Record<string, string | undefined> = {}) => {
        const listed = await nexus(['db', 'backup', 'list'], database.url, env);
        expectExit(listed, 0);
        return Object.fromEntries(listed.json<{ backups: { id: string; signatureStatus: string }[] }>().backups.map((entry) => [entry.id, entry.signatureStatus]));
      };
      expect(await states()).toEqual({ [genuine.id]: 'valid', [older.id]: 'unsigned', [edited.id]: 'invalid' });
      expect(await states({ BACKUP_SIGNING_KEY: undefined })).toEqual({ [genuine.id]: 'unchecked', [older.id]: 'unsigned', [edited.id]: 'unchecked' });
    }, 120_000);

    it('When BACKUP_SIGNING_KEY is not set, or too short, then nexus db backup refuses (exit 3) before dumping, naming how to make one', async () => {
      const missing = await nexus(['db', 'backup'], database.url, { BACKUP_SIGNING_KEY: undefined });
      expectExit(missing, 3);
      expect(missing.json<{ error: { code: string; suggestions: string[] } }>().error).toMatchObject({ code: 'BACKUP_KEY_MISSING', suggestions: expect.arrayContaining([expect.stringContaining('openssl rand -hex 32')]) });
      const short = await nexus(['db', 'backup'], database.url, { BACKUP_SIGNING_KEY: 'too-short' });
      expectExit(short, 3);
      expect(refusal(short).code).toBe('BACKUP_KEY_WEAK');
      expect(`${missing.stdout}${short.stdout}${short.stderr}`).not.toContain('too-short');
      expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    }, 60_000);
  });

  it('When the CLI runs under umask 000, then the backups, their directory and a download are still private (600 in 700), also where the directory existed open', async () => {
    chmodSync(dir, 0o755);
    const downloads = join(mkdtempSync(join(tmpdir(), 'nexus-downloads-')), 'new', 'dir');
    const existing = mkdtempSync(join(tmpdir(), 'nexus-downloads-open-'));
    try {
      const fresh = await withUmask(0o000, () => nexus(['db', 'backup', '--download', downloads]));
      expectExit(fresh, 0);
      const { backup: manifest } = fresh.json<BackupJson>();
      chmodSync(existing, 0o777);
      const again = await withUmask(0o000, () => nexus(['db', 'backup', '--download', existing, '--no-prune']));
      expectExit(again, 0);
      const second = again.json<BackupJson>().backup;
      const modes = (paths: string[]) => Object.fromEntries(paths.map((path) => [path, (statSync(path).mode & 0o777).toString(8)]));
      const files = [
        ...[manifest, second].flatMap((entry) => [join(dir, entry.dump.file), join(dir, `${entry.id}.json`)]),
        join(downloads, manifest.dump.file),
        join(downloads, `${manifest.id}.json`),
        join(existing, second.dump.file),
        join(existing, `${second.id}.json`),
      ];
      expect(modes([dir, downloads, join(downloads, '..'), existing, ...files])).toEqual(Object.fromEntries([[dir, '700'], [downloads, '700'], [join(downloads, '..'), '700'], [existing, '700'], ...files.map((file) => [file, '600'])]));
      expect(readdirSync(existing).filter((name) => name.includes('partial'))).toEqual([]);
      expect(again.stderr).toContain(`Made ${existing} private (mode 700; it was 777)`);
    } finally {
      rmSync(join(downloads, '..', '..'), { recursive: true, force: true });
      rmSync(existing, { recursive: true, force: true });
    }
  }, 120_000);

  it('When --download or --backup-dir is a shared directory (sticky, like /tmp), then it is refused, not locked, and nothing is written there', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'nexus-shared-'));
    chmodSync(shared, 0o1777);
    try {
      const download = await nexus(['db', 'backup', '--download', shared]);
      expectExit(download, 1);
      expect(download.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'DIRECTORY_NOT_PRIVATE', message: expect.stringContaining('shared') });
      const kept = await runNexus(['db', 'backup', '--backup-dir', shared, '--json'], { env: { DATABASE_URL: database.url, BACKUP_SIGNING_KEY: SIGNING_KEY } });
      expectExit(kept, 1);
      expect(kept.json<{ error: { message: string } }>().error.message).toContain('is shared or belongs to another user');
      expect((statSync(shared).mode & 0o7777).toString(8)).toBe('1777');
      expect([...readdirSync(shared), ...readdirSync(dir)]).toEqual([]);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  }, 60_000);

  it.each([
    ['an id that is not a backup id', ['db', 'restore', '../../etc/passwd', '--yes'], 2, 'USAGE'],
    ['a backup that does not exist', ['db', 'backup', 'verify', '20200101T000000Z-manual'], 1, 'NO_BACKUP'],
    ['retention keeping no day', ['db', 'backup', '--keep-daily', '0'], 2, undefined],
  ])('When given %s, then it fails clearly and changes nothing', async (_label, args, code, errorCode) => {
    const before = await tableDigests(database.url);
    const result = await nexus(args);
    expectExit(result, code);
    if (errorCode) expect(result.json<{ error: { code: string } }>().error.code).toBe(errorCode);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    expect(await tableDigests(database.url)).toEqual(before);
  }, 60_000);

  it('When restore has no confirmation and no terminal, then it exits 2 naming --yes, and nothing is restored', async () => {
    const { backup: manifest } = await backup();
    const before = await tableDigests(database.url);
    const result = await nexus(['db', 'restore', manifest.id]);
    expectExit(result, 2);
    expect(result.json<{ error: { suggestions: string[] } }>().error.suggestions.join(' ')).toContain('--yes');
    expect(await databasesLike(database.name)).toEqual([]);
    expect(await tableDigests(database.url)).toEqual(before);
  }, 60_000);

  describe('a backup given by its path (downloaded earlier, copied from another machine)', () => {
    let elsewhere: string;
    /** A backup taken now, then moved out of the backup directory: nexus knows it only by its path. */
    const backupElsewhere = async (): Promise<{ manifest: BackupManifest; dump: string; json: string }> => {
      const { backup: manifest } = await backup();
      const files = { dump: join(elsewhere, `${manifest.id}.dump`), json: join(elsewhere, `${manifest.id}.json`) };
      renameSync(join(dir, `${manifest.id}.dump`), files.dump);
      renameSync(join(dir, `${manifest.id}.json`), files.json);
      return { manifest, ...files };
    };

    beforeEach(() => {
      elsewhere = mkdtempSync(join(tmpdir(), 'nexus-copied-'));
    });
    afterEach(() => rmSync(elsewhere, { recursive: true, force: true }));

    it('When verified and restored by the path of its dump (or of its manifest), then it is checked and restored like a backup of the directory, and nothing is copied there', async () => {
      const before = await tableDigests(database.url);
      const { manifest, dump, json } = await backupElsewhere();
      expectExit(await nexus(['db', 'backup', 'verify', manifest.id]), 1);
      const verified = await nexus(['db', 'backup', 'verify', dump]);
      expectExit(verified, 0);
      expect(verified.json<{ verified: object }>().verified).toMatchObject({ id: manifest.id, signature: 'valid', rows: Object.values(manifest.tables).reduce((sum, table) => sum + table.rows, 0) });
      await adminQuery((client) => client.query('DELETE FROM products WHERE stock_quantity < 100'), database.url);
      const restored = await nexus(['db', 'restore', json, '--yes']);
      expectExit(restored, 0);
      expect(await tableDigests(database.url)).toEqual(before);
      expect(readdirSync(dir)).toEqual([]);
      const { previous } = restored.json<{ restored: { previous: string } }>().restored;
      await adminQuery((client) => client.query(`DROP DATABASE ${client.escapeIdentifier(previous)}`), database.url);
    }, 120_000);

    it('When the dump or the manifest at that path was changed, then verify and restore refuse it (the checksum, the signature) before restoring anything', async () => {
      const before = await tableDigests(database.url);
      const { manifest, dump, json } = await backupElsewhere();
      const bytes = readFileSync(dump);
      const flipped = Buffer.from(bytes);
      flipped[Math.floor(flipped.length / 2)] = (flipped[Math.floor(flipped.length / 2)] as number) ^ 0xff;
      writeFileSync(dump, flipped);
      for (const args of [['db', 'backup', 'verify', dump], ['db', 'restore', dump, '--yes']]) {
        const result = await nexus(args);
        expectExit(result, 1);
        expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringContaining(`${dump} does not match its manifest`) });
      }
      writeFileSync(dump, bytes);
      writeFileSync(json, JSON.stringify({ ...manifest, tables: { ...manifest.tables, 'public.products': { rows: 301, checksum: manifest.tables['public.products']?.checksum ?? '' } } }));
      for (const args of [['db', 'backup', 'verify', dump], ['db', 'restore', dump, '--yes']]) {
        const result = await nexus(args);
        expectExit(result, 5);
        expect(result.json<{ error: { code: string } }>().error.code).toBe('BACKUP_SIGNATURE_INVALID');
      }
      expect(await databasesLike(database.name)).toEqual([]);
      expect(await tableDigests(database.url)).toEqual(before);
    }, 120_000);

    it('When the manifest is not beside the dump, then it is refused naming the file to copy; a file not named like a backup is a usage error', async () => {
      const before = await tableDigests(database.url);
      const { manifest, dump, json } = await backupElsewhere();
      rmSync(json);
      for (const args of [['db', 'backup', 'verify', dump], ['db', 'restore', dump, '--yes']]) {
        const result = await nexus(args);
        expectExit(result, 1);
        expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'BACKUP_MANIFEST_MISSING', message: expect.stringContaining(`${manifest.id}.json`) });
      }
      const renamed = join(elsewhere, 'production.dump');
      renameSync(dump, renamed);
      expectExit(await nexus(['db', 'restore', renamed, '--yes']), 2);
      expectExit(await nexus(['db', 'backup', 'verify', join(elsewhere, `${manifest.id}.dump`)]), 1);
      expect(await databasesLike(database.name)).toEqual([]);
      expect(await tableDigests(database.url)).toEqual(before);
    }, 120_000);
  });

  it('When the database cannot be reached, then backup fails with the reason and leaves no partial file', async () => {
    const result = await nexus(['db', 'backup'], 'postgres://postgres@127.0.0.1:1/nowhere');
    expectExit(result, 1);
    expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'BACKUP_FAILED', message: expect.stringMatching(/connection|refused/i) });
    expect(readdirSync(dir).filter((file) => file !== '.')).toEqual([]);
  }, 60_000);
});

describe('nexus db backup list and db restore on a target whose configuration cannot serve the request', () => {
  const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';
  let project: string;

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'nexus-backup-config-'));
    // Nothing listens on the SSH port: a command that connected before refusing would exit 7, not 3.
    const host = { hosts: [{ address: '127.0.0.1', host_key: PIN }], ssh: { port: await freePort(), connect_timeout: 2, key: join(project, 'no-key') }, domains: ['shop.example.com'] };
    writeFileSync(join(project, 'nexus.yml'), stringify({ app: { name: 'shop' }, targets: { production: host, external: { ...host, database: 'external' } } }));
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  const nexus = (args: string[], env: Record<string, string> = {}) => runNexus([...args, '--dir', project, '--json'], { env: { BACKUP_SIGNING_KEY: SIGNING_KEY, ...env } });
  type ErrorJson = { error: { code: string; message: string; suggestions: string[] } };

  it.each([
    ['db backup list --offsite', ['db', 'backup', 'list', '--offsite', '--target', 'production'], '--offsite'],
    ['db restore --from-offsite', ['db', 'restore', '20261202T031500Z-manual', '--from-offsite', '--target', 'production', '--yes'], '--from-offsite'],
    ['db backup verify --from-offsite', ['db', 'backup', 'verify', '20261202T031500Z-manual', '--from-offsite', '--target', 'production'], '--from-offsite'],
  ])('When %s meets a target without backups.offsite, then it is a configuration error (exit 3) naming the key to add, before connecting', async (_label, args, flag) => {
    const result = await nexus(args);
    expectExit(result, 3);
    const { error } = result.json<ErrorJson>();
    expect(error.code).toBe('OFFSITE_NOT_CONFIGURED');
    expect(error.message).toBe(`${flag} works on the offsite copies, and target production has none: backups.offsite is not set in ${join(project, 'nexus.yml')}.`);
    expect(error.suggestions.join(' ')).toContain(`add a backups.offsite block (s3 or filesystem) to target production`);
    expect(error.suggestions.join(' ')).toContain(`without ${flag}`);
  });

  it('When --offsite is given without --target, then it is a usage error (exit 2) naming --target', async () => {
    const result = await nexus(['db', 'backup', 'list', '--offsite'], { DATABASE_URL: 'postgres://u@127.0.0.1:1/shop' });
    expectExit(result, 2);
    expect(result.json<ErrorJson>().error.message).toContain('--target');
  });

  it('When the DATABASE_URL secret of an external database is not a PostgreSQL URL (a libpq keyword string), then restore and list exit 3 naming the secret (its password never shown), before connecting', async () => {
    for (const args of [['db', 'backup', 'list', '--target', 'external'], ['db', 'restore', '20261202T031500Z-manual', '--target', 'external', '--yes']]) {
      const result = await nexus(args, { DATABASE_URL: 'host=db.internal dbname=shop password=hunter2-secret' });
      expectExit(result, 3);
      const { error } = result.json<ErrorJson>();
      expect(error).toMatchObject({ code: 'DEPLOY_CONFIG', message: expect.stringContaining('The DATABASE_URL secret of target external (database: external) is not usable: Not a PostgreSQL URL') });
      expect(result.stdout + result.stderr).not.toContain('hunter2-secret');
    }
  });
});
