import { createDatabase, type Knex } from '../../../db/connection';
import { recordEnvironment } from '../../../db/meta';
import { ProjectMigrationSource } from '../../../db/migration-source';
import { runNexus } from '../../support/cli';
import { createEmptyDatabase } from '../../support/database';

let ALL_MIGRATIONS = 0;

describe('nexus db', () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let db: Knex;

  beforeAll(async () => {
    ALL_MIGRATIONS = (await new ProjectMigrationSource().getMigrations()).length;
    database = await createEmptyDatabase();
    db = createDatabase({ url: database.url });
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  const env = () => ({ DATABASE_URL: database.url });

  it('When migrate runs on an empty database, then every migration is applied and a re-run applies nothing', async () => {
    const first = await runNexus(['db', 'migrate', '--json'], { env: env() });
    expect(first.code).toBe(0);
    expect(first.json<{ applied: string[]; environment: string }>()).toMatchObject({ environment: 'development' });
    expect(first.json<{ applied: string[] }>().applied).toHaveLength(ALL_MIGRATIONS);
    const again = await runNexus(['db', 'migrate', '--json'], { env: env() });
    expect(again.code).toBe(0);
    expect(again.json()).toEqual({ applied: [], environment: 'development' });
  });

  it('When status is asked, then applied and pending migrations are listed as JSON', async () => {
    const status = await runNexus(['db', 'status', '--json', '--database-url', database.url]);
    expect(status.code).toBe(0);
    const result = status.json<{ applied: string[]; pending: string[]; environment: string }>();
    expect(result.applied).toHaveLength(ALL_MIGRATIONS);
    expect(result.pending).toEqual([]);
    expect(result.environment).toBe('development');
  });

  it('When rollback runs without a terminal and without --yes, then it refuses with exit 2 and names --yes', async () => {
    const result = await runNexus(['db', 'rollback'], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--yes');
    expect((await runNexus(['db', 'status', '--json'], { env: env() })).json<{ pending: string[] }>().pending).toEqual([]);
  });

  it('When rollback --all --yes runs, then every migration is undone and status --check fails until migrate', async () => {
    const rolled = await runNexus(['db', 'rollback', '--all', '--yes', '--json'], { env: env() });
    expect(rolled.code).toBe(0);
    expect(rolled.json<{ rolledBack: string[] }>().rolledBack).toHaveLength(ALL_MIGRATIONS);
    expect(await db.schema.hasTable('users')).toBe(false);

    const check = await runNexus(['db', 'status', '--check', '--json'], { env: env() });
    expect(check.code).toBe(1);
    expect(check.json<{ error: { code: string } }>().error.code).toBe('MIGRATIONS_PENDING');

    expect((await runNexus(['db', 'migrate'], { env: env() })).code).toBe(0);
    expect((await runNexus(['db', 'status', '--check'], { env: env() })).code).toBe(0);
  });

  it('When seed runs twice with one seed, then the data is created once, deterministically, with one default address each', async () => {
    const first = await runNexus(['db', 'seed', '--users', '30', '--seed', '5', '--json'], { env: env() });
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({ seed: 5, users: 30 });
    const emails = (await db('users').orderBy('id').pluck('email')) as string[];

    const second = await runNexus(['db', 'seed', '--users', '30', '--seed', '5', '--json'], { env: env() });
    expect(second.json()).toMatchObject({ users: 0 });
    expect(await db('users').orderBy('id').pluck('email')).toEqual(emails);

    const defaults = await db('addresses').select('user_id').count('* as total').sum({ defaults: db.raw('is_default::int') }).groupBy('user_id');
    expect(defaults).toHaveLength(30);
    for (const row of defaults as { defaults: number }[]) expect(Number(row.defaults)).toBe(1);
  });

  it('When seed is given a weak demo password, then it is a usage error and nothing is written', async () => {
    const before = await db('users').count<{ count: number }[]>('* as count');
    const result = await runNexus(['db', 'seed', '--users', '3', '--demo-password', 'password'], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('too common');
    expect(await db('users').count('* as count')).toEqual(before);
  });

  it('When NODE_ENV is production, then seed and reset are refused with exit 5 and nothing changes', async () => {
    const seed = await runNexus(['db', 'seed', '--users', '2', '--json'], { env: { ...env(), NODE_ENV: 'production' } });
    expect(seed.code).toBe(5);
    expect(seed.json<{ error: { code: string } }>().error.code).toBe('REFUSED');
    const reset = await runNexus(['db', 'reset', '--yes'], { env: { ...env(), NODE_ENV: 'production' } });
    expect(reset.code).toBe(5);
    expect(await db.schema.hasTable('users')).toBe(true);
  });

  it('When the database itself is marked production, then a local NODE_ENV cannot bypass the refusal', async () => {
    await recordEnvironment(db, 'production');
    const reset = await runNexus(['db', 'reset', '--yes'], { env: env() });
    expect(reset.code).toBe(5);
    expect(reset.stderr).toContain('production database');
    const migrate = await runNexus(['db', 'migrate', '--json'], { env: env() });
    expect(migrate.json()).toMatchObject({ environment: 'production' });
    await db('nexus_meta').where({ key: 'environment' }).update({ value: 'development' });
  });

  it('When reset --yes runs, then all data is gone and the schema is current', async () => {
    expect(Number((await db('users').count<{ count: string }[]>('* as count'))[0]?.count)).toBeGreaterThan(0);
    const reset = await runNexus(['db', 'reset', '--yes', '--json'], { env: env() });
    expect(reset.code).toBe(0);
    expect(reset.json<{ applied: string[] }>().applied).toHaveLength(ALL_MIGRATIONS);
    expect(Number((await db('users').count<{ count: string }[]>('* as count'))[0]?.count)).toBe(0);
  });
});

describe('nexus db without a usable database', () => {
  it('When no database is configured, then exit 2 names --database-url', async () => {
    const result = await runNexus(['db', 'status'], { cwd: '/tmp' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--database-url');
  });

  it('When the URL is not PostgreSQL, then exit 2', async () => {
    const result = await runNexus(['db', 'migrate', '--database-url', 'mysql://root@127.0.0.1/x', '--json'], { cwd: '/tmp' });
    expect(result.code).toBe(2);
    expect(result.json<{ error: { code: string } }>().error.code).toBe('USAGE');
  });

  it('When the server is unreachable, then exit 4 and the password is not printed', async () => {
    const result = await runNexus(['db', 'migrate', '--database-url', 'postgres://nexus:s3cret-pw@127.0.0.1:1/nexus', '--json'], { cwd: '/tmp' }); // secretlint-disable-line -- made-up credentials, for this test
    expect(result.code).toBe(4);
    const { error } = result.json<{ error: { code: string; message: string; suggestions: string[] } }>();
    expect(error.code).toBe('DATABASE_UNAVAILABLE');
    expect(error.message).not.toContain('s3cret-pw');
    expect(result.stdout + result.stderr).not.toContain('s3cret-pw');
  });

  it('When an unknown flag is passed, then exit 2', async () => {
    const result = await runNexus(['db', 'migrate', '--bogus']);
    expect(result.code).toBe(2);
  });
});
