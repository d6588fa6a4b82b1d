import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BackupManifest } from '../../cli/services/backup-manifest';
import { expectExit, runNexus, type CliResult } from '../support/cli';
import { describeWith } from '../support/components';
import { SIGNING_KEY } from '../support/forged-backup';
import { adminQuery } from '../support/database';
import { startS3Server } from '../support/s3-server';
import { sshdAvailable, sshdTarget, startSshd, type RunningSshd } from '../support/sshd';
import { createSystemDatabase, systemPostgresAvailable, tableDigests, type SystemDatabase } from '../support/system-postgres';

/**
 * Backups of a target's database through a real sshd: pg_dump, pg_restore and psql run on the "host" (this
 * machine, as the SSH user), the dumps stay in <root>/backups there, the database URL travels on stdin.
 */
describeWith('sshd and PostgreSQL on 5432 with its client tools', sshdAvailable && systemPostgresAvailable, 'nexus db backup --target (real sshd and PostgreSQL)', () => {
  let sshd: RunningSshd;
  let database: SystemDatabase;
  let project: string;
  let root: string;

  const nexus = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runNexus([...args, '--target', 'production', '--dir', project, '--json'], { env: { DATABASE_URL: database.url, BACKUP_SIGNING_KEY: SIGNING_KEY, ...env }, timeoutMs: 120_000 });
  const backupsOnHost = () => (existsSync(join(root, 'backups')) ? readdirSync(join(root, 'backups')).sort() : []);

  beforeAll(async () => {
    sshd = await startSshd();
    database = await createSystemDatabase();
    await database.db('categories').insert([{ name: 'Tea', slug: 'tea' }, { name: 'Coffee', slug: 'coffee' }]);
    root = join(sshd.remoteRoot, 'srv');
    project = mkdtempSync(join(tmpdir(), 'nexus-backup-project-'));
    writeFileSync(
      join(project, 'nexus.yml'),
      stringify({
        app: { name: 'shop' },
        targets: {
          production: sshdTarget(sshd, { root, database: 'external', redis: 'external', backups: { keep_daily: 3, keep_weekly: 1 } }),
        },
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await sshd?.stop();
    await database?.drop();
    rmSync(project, { recursive: true, force: true });
  }, 60_000);

  it('When backed up, verified, changed and restored over SSH, then the data is identical to the backup and the dumps stay on the host', async () => {
    const before = await tableDigests(database.url);
    const taken = await nexus(['db', 'backup', '--verify']);
    expectExit(taken, 0);
    const { backup } = taken.json<{ backup: BackupManifest }>();
    expect(backup).toMatchObject({ kind: 'manual', database: database.name, release: null });
    const dump = join(root, 'backups', backup.dump.file);
    expect(statSync(dump).mode & 0o777).toBe(0o600);
    expect(createHash('sha256').update(readFileSync(dump)).digest('hex')).toBe(backup.dump.sha256);
    // --verify leaves its record beside the backup (`nexus status` reads it).
    expect(backupsOnHost()).toEqual([`${backup.id}.dump`, `${backup.id}.json`, `${backup.id}.verified`]);

    await database.db('categories').where({ slug: 'tea' }).del();
    // The deployed database records production: --yes alone is not enough.
    await database.db('nexus_meta').insert({ key: 'environment', value: 'production', updated_at: new Date() }).onConflict('key').merge();
    const withProduction = await tableDigests(database.url);
    const refused = await nexus(['db', 'restore', backup.id, '--yes']);
    expectExit(refused, 5);
    expect(refused.json<{ error: { message: string } }>().error.message).toContain('--confirm production');
    expect(await tableDigests(database.url)).toEqual(withProduction);

    const restored = await nexus(['db', 'restore', backup.id, '--confirm', 'production']);
    expectExit(restored, 0);
    expect(await tableDigests(database.url)).toEqual(before);
    const { previous } = restored.json<{ restored: { previous: string } }>().restored;
    await adminQuery((client) => client.query(`DROP DATABASE ${client.escapeIdentifier(previous)}`), database.url);
  }, 120_000);

  it('When listed, downloaded and verified by id, then the host is read and the copy is the same bytes', async () => {
    const listed = await nexus(['db', 'backup', 'list']);
    expectExit(listed, 0);
    const [first] = listed.json<{ backups: BackupManifest[] }>().backups;
    expect(first).toBeDefined();
    const verified = await nexus(['db', 'backup', 'verify', first?.id ?? '']);
    expectExit(verified, 0);
    const local = mkdtempSync(join(tmpdir(), 'nexus-downloaded-'));
    try {
      const taken = await nexus(['db', 'backup', '--download', local]);
      expectExit(taken, 0);
      const { backup, downloaded } = taken.json<{ backup: BackupManifest; downloaded: string }>();
      expect(readFileSync(downloaded)).toEqual(readFileSync(join(root, 'backups', backup.dump.file)));
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  }, 120_000);

  it('When a backup downloaded earlier is given by its path, then it is checked here before it goes back to the host and is verified there; a changed copy never reaches the host', async () => {
    const local = mkdtempSync(join(tmpdir(), 'nexus-downloaded-'));
    try {
      const taken = await nexus(['db', 'backup', '--download', local, '--no-prune']);
      expectExit(taken, 0);
      const { backup, downloaded } = taken.json<{ backup: BackupManifest; downloaded: string }>();
      // The host lost it (say, rebuilt): the download is the only copy.
      for (const extension of ['dump', 'json']) rmSync(join(root, 'backups', `${backup.id}.${extension}`));
      const bytes = readFileSync(downloaded);
      const changed = Buffer.from(bytes);
      changed[changed.length - 100] = (changed[changed.length - 100] as number) ^ 0xff;
      writeFileSync(downloaded, changed);
      const refused = await nexus(['db', 'backup', 'verify', downloaded]);
      expectExit(refused, 1);
      expect(refused.json<{ error: { code: string } }>().error.code).toBe('BACKUP_CORRUPT');
      expect(backupsOnHost().filter((file) => file.startsWith(backup.id))).toEqual([]);

      writeFileSync(downloaded, bytes);
      // A restore that is refused (production wants --confirm) leaves the host as it was too.
      await adminQuery((client) => client.query("INSERT INTO nexus_meta (key, value, updated_at) VALUES ('environment', 'production', now()) ON CONFLICT (key) DO UPDATE SET value = 'production'"), database.url);
      expectExit(await nexus(['db', 'restore', downloaded, '--yes']), 5);
      expect(backupsOnHost().filter((file) => file.startsWith(backup.id))).toEqual([]);
      const verified = await nexus(['db', 'backup', 'verify', downloaded]);
      expectExit(verified, 0);
      expect(verified.json<{ verified: { id: string; signature: string } }>().verified).toMatchObject({ id: backup.id, signature: 'valid' });
      const dump = join(root, 'backups', backup.dump.file);
      expect(readFileSync(dump)).toEqual(bytes);
      expect(statSync(dump).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  }, 120_000);

  it('When the DATABASE_URL secret is missing, then it exits 3 before connecting, and nothing is written on the host', async () => {
    const before = backupsOnHost();
    const result = await runNexus(['db', 'backup', '--target', 'production', '--dir', project, '--json']);
    expectExit(result, 3);
    expect(result.json<{ error: { message: string } }>().error.message).toContain('DATABASE_URL');
    expect(backupsOnHost()).toEqual(before);
  });

  it("When the URL's password is wrong, then the backup fails with PostgreSQL's reason, no partial file is left, and the password is in no output", async () => {
    const before = backupsOnHost();
    const url = new URL(database.url);
    url.username = 'nexus_no_such_role';
    url.password = 's3cret-never-printed';
    const result = await nexus(['db', 'backup'], { DATABASE_URL: url.toString() });
    expectExit(result, 1);
    expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'BACKUP_FAILED', message: expect.stringContaining('nexus_no_such_role') });
    expect(`${result.stdout}${result.stderr}`).not.toContain('s3cret-never-printed');
    expect(backupsOnHost()).toEqual(before);
  }, 60_000);

  it('When deploy rollback --with-data lacks --confirm <target>, then it is refused before connecting; with it, a target with no releases has nothing to roll back', async () => {
    const refused = await nexus(['deploy', 'rollback', '--with-data']);
    expectExit(refused, 5);
    expect(refused.json<{ error: { message: string } }>().error.message).toContain('--confirm production');
    const nothing = await nexus(['deploy', 'rollback', '--with-data', '--confirm', 'production'], { JWT_SECRET: 'j'.repeat(40), REDIS_URL: 'redis://127.0.0.1:1/0' });
    expectExit(nothing, 1);
    expect(nothing.json<{ error: { code: string } }>().error.code).toBe('NO_SUCH_RELEASE');
  }, 60_000);

  it('When --schedule is given, then the daily job is installed with the database URL in its secrets (mode 600), and --unschedule removes it', async () => {
    const operatorKeys = readFileSync(sshd.authorizedKeys, 'utf8');
    const scheduled = await nexus(['db', 'backup', '--schedule', '--scheduler', 'none']);
    expectExit(scheduled, 0);
    const jobDir = join(root, 'jobs', 'db-backup');
    expect(scheduled.json<{ job: string; schedule: null }>()).toMatchObject({ job: `sh ${jobDir}/run.sh`, schedule: null });
    expect(readFileSync(join(jobDir, 'run.sh'), 'utf8')).toContain("node bin/run.js db backup --kind scheduled --verify --target production --dir /nexus");
    expect(statSync(join(jobDir, 'secrets')).mode & 0o777).toBe(0o600);
    // The job signs its backups: the key is in its own secrets file, not beside the backups.
    expect(readFileSync(join(jobDir, 'secrets'), 'utf8')).toBe(`DATABASE_URL=${database.url}\nBACKUP_SIGNING_KEY=${SIGNING_KEY}\n`);
    expect(readFileSync(sshd.authorizedKeys, 'utf8')).toMatch(new RegExp(`restrict,command="sh ${jobDir}/gate\\.sh",from="127\\.0\\.0\\.1,::1" ssh-ed25519 \\S+ nexus-job-db-backup-shop@production\n$`));
    expect(statSync(join(jobDir, 'allowed-calls')).mode & 0o777).toBe(0o600);
    const removed = await nexus(['db', 'backup', '--unschedule']);
    expectExit(removed, 0);
    expect(existsSync(jobDir)).toBe(false);
    expect(readFileSync(sshd.authorizedKeys, 'utf8')).toBe(operatorKeys);
  }, 60_000);

  describe('with an offsite copy', () => {
    const overlay = (offsite: object) => writeFileSync(join(project, 'nexus.production.yml'), stringify({ targets: { production: { backups: { offsite } } } }));
    afterEach(() => rmSync(join(project, 'nexus.production.yml'), { force: true }));

    it('When the offsite store is S3 (s3rver), then each backup is uploaded, listed there, and a backup the host lost is verified and restored from it', async () => {
      const s3 = await startS3Server();
      try {
        overlay({ type: 's3', bucket: s3.bucket, prefix: 'shop/production/', endpoint: s3.endpoint, region: 'us-east-1', force_path_style: true });
        const taken = await nexus(['db', 'backup'], s3.credentials);
        expectExit(taken, 0);
        const { backup, offsite } = taken.json<{ backup: BackupManifest; offsite: { where: string; pruned: string[] } }>();
        expect(offsite).toEqual({ where: `s3://${s3.bucket}/shop/production/ at ${s3.endpoint}`, pruned: [] });
        const listed = await nexus(['db', 'backup', 'list', '--offsite'], s3.credentials);
        expectExit(listed, 0);
        expect(listed.json<{ backups: BackupManifest[] }>().backups.map((entry) => entry.id)).toContain(backup.id);

        // The host loses its copy; the offsite one comes back, checked against its manifest.
        rmSync(join(root, 'backups', `${backup.id}.dump`));
        rmSync(join(root, 'backups', `${backup.id}.json`));
        const verified = await nexus(['db', 'backup', 'verify', backup.id, '--from-offsite'], s3.credentials);
        expectExit(verified, 0);
        expect(statSync(join(root, 'backups', backup.dump.file)).mode & 0o777).toBe(0o600);
        expect(createHash('sha256').update(readFileSync(join(root, 'backups', backup.dump.file))).digest('hex')).toBe(backup.dump.sha256);

        const wrongKey = await nexus(['db', 'backup', 'list', '--offsite'], { ...s3.credentials, S3_ACCESS_KEY_ID: 'NOT-A-KEY' });
        expectExit(wrongKey, 1);
        expect(wrongKey.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'OFFSITE_FAILED', message: expect.stringMatching(/InvalidAccessKeyId|Access Key/) });
        const missing = await nexus(['db', 'backup', 'list', '--offsite']);
        expectExit(missing, 3);
        expect(missing.json<{ error: { message: string } }>().error.message).toContain('S3_ACCESS_KEY_ID');
      } finally {
        await s3.stop();
      }
    }, 120_000);

    it("When the daily job's own nexus runs with its key, then every call it makes passes the key's gate (dump, manifest, verify, copy to S3, retention), and the key does nothing else", async () => {
      const s3 = await startS3Server();
      const jobDir = join(root, 'jobs', 'db-backup');
      try {
        overlay({ type: 's3', bucket: s3.bucket, prefix: 'job/', endpoint: s3.endpoint, region: 'us-east-1', force_path_style: true });
        expectExit(await nexus(['db', 'backup', '--schedule', '--scheduler', 'none'], s3.credentials), 0);
        // A backup for the job's retention to remove.
        const manual = await nexus(['db', 'backup', '--no-offsite', '--no-prune'], s3.credentials);
        expectExit(manual, 0);
        // What the job's container sees at /nexus, with the key where this machine has it.
        const copy = mkdtempSync(join(tmpdir(), 'nexus-backup-job-'));
        mkdirSync(join(copy, '.nexus'));
        writeFileSync(join(copy, 'nexus.yml'), readFileSync(join(jobDir, 'nexus.yml'), 'utf8').replace('/nexus/id_ed25519', join(jobDir, 'id_ed25519')));
        writeFileSync(join(copy, '.nexus', 'secrets'), readFileSync(join(jobDir, 'secrets'), 'utf8'), { mode: 0o600 });
        const job = await runNexus(['db', 'backup', '--kind', 'scheduled', '--verify', '--keep-daily', '1', '--keep-weekly', '0', '--target', 'production', '--dir', copy, '--json'], {
          env: { NEXUS_OPERATOR: 'scheduled-job@test' },
          timeoutMs: 120_000,
        });
        expectExit(job, 0);
        const report = job.json<{ backup: BackupManifest; verified: { id: string } | null; pruned: string[]; offsite: { where: string } | null }>();
        expect(report.backup.kind).toBe('scheduled');
        expect(report.verified?.id).toBe(report.backup.id);
        expect(report.pruned).toContain(manual.json<{ backup: BackupManifest }>().backup.id);
        expect(report.offsite?.where).toBe(`s3://${s3.bucket}/job/ at ${s3.endpoint}`);
        // The verification's record passed the gate too.
        expect(backupsOnHost()).toEqual([`${report.backup.id}.dump`, `${report.backup.id}.json`, `${report.backup.id}.verified`]);
        expect(job.stderr).not.toContain('could not be written');

        const shell = spawnSync('ssh', ['-i', join(jobDir, 'id_ed25519'), '-p', String(sshd.port), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${sshd.user}@127.0.0.1`, 'cat', join(jobDir, 'secrets')], { encoding: 'utf8', timeout: 30_000 });
        expect(shell.status).toBe(77);
        expect(shell.stdout).toBe('');
        expect(shell.stderr).toContain('nexus job gate: refused');
      } finally {
        expectExit(await nexus(['db', 'backup', '--unschedule'], s3.credentials), 0);
        await s3.stop();
      }
    }, 240_000);

    it('When the offsite store is a directory, then retention applies there too, and --schedule refuses it (the job cannot see that directory)', async () => {
      const offsiteDir = mkdtempSync(join(tmpdir(), 'nexus-offsite-'));
      try {
        overlay({ type: 'filesystem', path: offsiteDir });
        const first = await nexus(['db', 'backup']);
        expectExit(first, 0);
        const second = await nexus(['db', 'backup', '--keep-daily', '1', '--keep-weekly', '0']);
        expectExit(second, 0);
        const { backup, offsite } = second.json<{ backup: BackupManifest; offsite: { pruned: string[] } }>();
        expect(offsite.pruned).toContain(first.json<{ backup: BackupManifest }>().backup.id);
        expect(readdirSync(offsiteDir).sort()).toEqual([`${backup.id}.dump`, `${backup.id}.json`]);
        const scheduled = await nexus(['db', 'backup', '--schedule', '--scheduler', 'none']);
        expectExit(scheduled, 3);
        expect(scheduled.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'OFFSITE_UNSUPPORTED', message: expect.stringContaining('backups.offsite of type filesystem') });
        expect(existsSync(join(root, 'jobs', 'db-backup'))).toBe(false);
      } finally {
        rmSync(offsiteDir, { recursive: true, force: true });
      }
    }, 120_000);
  });
});
