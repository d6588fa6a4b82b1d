import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import type { BackupManifest } from '../../cli/services/backup-manifest';
import { expectExit, runNexus, type CliResult } from '../support/cli';
import { describeWith } from '../support/components';
import { adminQuery } from '../support/database';
import { ATTACKER_KEY, forgeManifest, SIGNING_KEY, type Forgery } from '../support/forged-backup';
import { startS3Server, type RunningS3 } from '../support/s3-server';
import { sshdAvailable, sshdTarget, startSshd, type RunningSshd } from '../support/sshd';
import { createSystemDatabase, systemPostgresAvailable, tableDigests, type SystemDatabase } from '../support/system-postgres';
import { withUmask } from '../support/umask';

const PREFIX = 'shop/production/';
const intruder = { email: 'intruder@example.com', username: 'intruder', password_hash: 'x', is_staff: true, is_superuser: true };

/**
 * The security review's attack on a target's backups, wherever they are kept (the host, S3, a directory):
 * whoever can write there swaps a dump for theirs and rewrites the manifest to match. Signed manifests
 * refuse it. And every backup file nexus writes, here or on the host, is private whatever the umask.
 */
describeWith('sshd and PostgreSQL on 5432 with its client tools', sshdAvailable && systemPostgresAvailable, 'signed and private backups of a target (real sshd, PostgreSQL, s3rver, a directory)', () => {
  let sshd: RunningSshd;
  let database: SystemDatabase;
  let s3: RunningS3;
  let project: string;
  let root: string;
  let offsiteDir: string;

  const useOffsite = (offsite?: object) =>
    writeFileSync(join(project, 'nexus.yml'), stringify({ app: { name: 'shop' }, targets: { production: sshdTarget(sshd, { root, database: 'external', redis: 'external', backups: { offsite } }) } }));
  const nexus = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runNexus([...args, '--target', 'production', '--dir', project, '--json'], { env: { DATABASE_URL: database.url, BACKUP_SIGNING_KEY: SIGNING_KEY, ...s3.credentials, ...env }, timeoutMs: 180_000 });
  const onHost = (name: string) => join(root, 'backups', name);
  const errorOf = (result: CliResult) => result.json<{ error: { code: string; message: string } }>().error;
  const copies = async () =>
    adminQuery(async (client) => (await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1 || '\\_%'", [database.name])).rows.map((row) => row.datname), database.url);

  const backup = async (args: string[] = []): Promise<BackupManifest> => {
    const taken = await nexus(['db', 'backup', '--no-prune', ...args]);
    expectExit(taken, 0);
    return taken.json<{ backup: BackupManifest }>().backup;
  };

  /** The forger's dump (the database plus a staff account, dumped by nexus with the forger's key on the host), taken away from the host's backups. */
  const forgerDump = async (): Promise<{ source: BackupManifest; dump: Buffer }> => {
    await database.db('users').insert(intruder);
    try {
      const made = await nexus(['db', 'backup', '--no-prune', '--no-offsite'], { BACKUP_SIGNING_KEY: ATTACKER_KEY });
      expectExit(made, 0);
      const source = made.json<{ backup: BackupManifest }>().backup;
      const dump = readFileSync(onHost(source.dump.file));
      for (const name of [source.dump.file, `${source.id}.json`]) rmSync(onHost(name));
      return { source, dump };
    } finally {
      await database.db('users').where({ email: intruder.email }).del();
    }
  };

  beforeAll(async () => {
    sshd = await startSshd();
    s3 = await startS3Server();
    database = await createSystemDatabase();
    await database.db('categories').insert([{ name: 'Tea', slug: 'tea' }]);
    root = join(sshd.remoteRoot, 'srv');
    project = mkdtempSync(join(tmpdir(), 'nexus-tamper-project-'));
    offsiteDir = mkdtempSync(join(tmpdir(), 'nexus-tamper-offsite-'));
  }, 60_000);

  afterAll(async () => {
    await sshd?.stop();
    await s3?.stop();
    await database?.drop();
    for (const dir of [project, offsiteDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('When a backup on the host is swapped and its manifest recomputed to match, then verify and restore over SSH refuse it (exit 5) and nothing is restored; --allow-unsigned warns', async () => {
    useOffsite();
    const victim = await backup();
    const { source, dump } = await forgerDump();
    writeFileSync(onHost(victim.dump.file), dump);
    const before = await tableDigests(database.url);
    const cases: [Forgery, string][] = [
      ['unsigned', 'BACKUP_UNSIGNED'],
      ['our-key-id', 'BACKUP_SIGNATURE_INVALID'],
    ];
    for (const [how, code] of cases) {
      writeFileSync(onHost(`${victim.id}.json`), JSON.stringify(forgeManifest(victim, source, how)));
      for (const args of [['db', 'backup', 'verify', victim.id], ['db', 'restore', victim.id, '--yes']]) {
        const refused = await nexus(args);
        expectExit(refused, 5);
        expect({ how, ...errorOf(refused) }).toMatchObject({ how, code, message: expect.stringContaining('nothing was restored') });
      }
    }
    expect(await copies()).toEqual([]);
    expect(await tableDigests(database.url)).toEqual(before);
    const allowed = await nexus(['db', 'backup', 'verify', victim.id, '--allow-unsigned']);
    expectExit(allowed, 0);
    expect(allowed.stderr).toContain('Warning: The signature of backup');
  }, 300_000);

  it('When the S3 copy is swapped the same way, then list --offsite shows a bad signature, and --from-offsite refuses it before it reaches the host', async () => {
    useOffsite({ type: 's3', bucket: s3.bucket, prefix: PREFIX, endpoint: s3.endpoint, region: 'us-east-1', force_path_style: true });
    const victim = await backup();
    const { source, dump } = await forgerDump();
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.credentials.S3_ACCESS_KEY_ID, secretAccessKey: s3.credentials.S3_SECRET_ACCESS_KEY }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    try {
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}${victim.dump.file}`, Body: dump }));
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}${victim.id}.json`, Body: JSON.stringify(forgeManifest(victim, source, 'our-key-id')) }));
    } finally {
      client.destroy();
    }
    const listed = await nexus(['db', 'backup', 'list', '--offsite']);
    expectExit(listed, 0);
    expect(listed.json<{ backups: { id: string; signatureStatus: string }[] }>().backups.find((entry) => entry.id === victim.id)?.signatureStatus).toBe('invalid');

    // The host still has the genuine backup: the forged copy must not replace it.
    const genuine = readFileSync(onHost(victim.dump.file));
    const verified = await nexus(['db', 'backup', 'verify', victim.id, '--from-offsite']);
    expectExit(verified, 5);
    expect(errorOf(verified).code).toBe('BACKUP_SIGNATURE_INVALID');
    expect(readFileSync(onHost(victim.dump.file)).equals(genuine)).toBe(true);
    expect(JSON.parse(readFileSync(onHost(`${victim.id}.json`), 'utf8'))).toEqual(victim);

    // The host lost it: nothing arrives, nothing is restored.
    for (const name of [victim.dump.file, `${victim.id}.json`]) rmSync(onHost(name));
    const restored = await nexus(['db', 'restore', victim.id, '--from-offsite', '--yes']);
    expectExit(restored, 5);
    expect(existsSync(onHost(victim.dump.file)) || existsSync(onHost(`${victim.id}.json`))).toBe(false);
    expect(await copies()).toEqual([]);
  }, 300_000);

  it('When the directory copy is swapped the same way, then --from-offsite refuses it (exit 5), and --allow-unsigned takes it with a warning', async () => {
    useOffsite({ type: 'filesystem', path: offsiteDir });
    const victim = await backup();
    const { source, dump } = await forgerDump();
    writeFileSync(join(offsiteDir, victim.dump.file), dump);
    writeFileSync(join(offsiteDir, `${victim.id}.json`), JSON.stringify(forgeManifest(victim, source, 'unsigned')));
    for (const name of [victim.dump.file, `${victim.id}.json`]) rmSync(onHost(name));
    const refused = await nexus(['db', 'backup', 'verify', victim.id, '--from-offsite']);
    expectExit(refused, 5);
    expect(errorOf(refused).code).toBe('BACKUP_UNSIGNED');
    expect(existsSync(onHost(victim.dump.file))).toBe(false);
    const allowed = await nexus(['db', 'backup', 'verify', victim.id, '--from-offsite', '--allow-unsigned']);
    expectExit(allowed, 0);
    expect(allowed.stderr).toMatch(/Warning: Backup \S+ is not signed/);
    // Checked when fetched and again before restoring: warned once.
    expect(allowed.stderr.match(/Warning:/g)).toHaveLength(1);
    expect(allowed.json<{ verified: { signature: string } }>().verified.signature).toBe('unsigned');
  }, 300_000);

  it('When nexus runs under umask 000 and the directories were left open, then every backup file it writes (host, download, directory copy, fetched back) is 600 in a 700 directory', async () => {
    useOffsite({ type: 'filesystem', path: offsiteDir });
    mkdirSync(join(root, 'backups'), { recursive: true });
    for (const dir of [join(root, 'backups'), offsiteDir]) chmodSync(dir, 0o755);
    const downloads = join(project, 'downloads', 'today');
    const taken = await withUmask(0o000, () => nexus(['db', 'backup', '--no-prune', '--download', downloads]));
    expectExit(taken, 0);
    const { backup: made } = taken.json<{ backup: BackupManifest }>();
    const names = [made.dump.file, `${made.id}.json`];
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    const modes = (dirs: string[]) => Object.fromEntries(dirs.flatMap((dir): [string, string][] => [[dir, mode(dir)], ...names.map((name): [string, string] => [join(dir, name), mode(join(dir, name))])]));
    const expected = (dirs: string[]) => Object.fromEntries(dirs.flatMap((dir): [string, string][] => [[dir, '700'], ...names.map((name): [string, string] => [join(dir, name), '600'])]));
    const places = [join(root, 'backups'), downloads, offsiteDir];
    expect(modes(places)).toEqual(expected(places));
    expect(mode(join(project, 'downloads'))).toBe('700');

    for (const name of names) rmSync(onHost(name));
    const fetched = await withUmask(0o000, () => nexus(['db', 'backup', 'verify', made.id, '--from-offsite']));
    expectExit(fetched, 0);
    expect(modes([join(root, 'backups')])).toEqual(expected([join(root, 'backups')]));
    // The verification's record too.
    expect(mode(onHost(`${made.id}.verified`))).toBe('600');
    expect(readdirSync(join(root, 'backups')).filter((name) => !/\.(dump|json|verified)$/.test(name))).toEqual([]);
  }, 300_000);
});
