import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployLock, LockHeldError } from '../../../cli/services/deploy-lock';
import { runNexus } from '../../support/cli';
import { connectToSshd, sshdProject } from '../../support/deploy-project';
import { describeWith } from '../../support/components';
import { sshdAvailable, startSshd, type RunningSshd } from '../../support/sshd';

describeWith('sshd', sshdAvailable, 'the deploy lock over a real sshd', () => {
  let sshd: RunningSshd;
  let project: string;
  let root: string;
  const env = { JWT_SECRET: 'x', NEXUS_OPERATOR: 'ci-job-42' };

  beforeAll(async () => {
    sshd = await startSshd();
    root = join(sshd.remoteRoot, 'srv');
    project = sshdProject(sshd, root);
  });
  afterAll(async () => {
    await sshd.stop();
    rmSync(project, { recursive: true, force: true });
  });
  afterEach(() => rmSync(join(root, 'locks'), { recursive: true, force: true }));

  const nexus = (...args: string[]) => runNexus([...args, '--target', 'production', '--dir', project, '--json'], { env });
  const connect = () => connectToSshd(sshd);

  it('When nobody holds it, then acquire takes it, status shows it, another acquire gets exit 10, release frees it', async () => {
    expect((await nexus('lock', 'status')).json()).toEqual({ locked: false });
    const taken = await nexus('lock', 'acquire', '--reason', 'maintenance window');
    expect(taken.code).toBe(0);
    const status = (await nexus('lock', 'status')).json<{ locked: boolean; lock: { owner: string; reason: string; expires_at: number; acquired_at: number } }>();
    expect(status.locked).toBe(true);
    expect(status.lock).toMatchObject({ owner: 'ci-job-42', reason: 'maintenance window' });
    expect(status.lock.expires_at - status.lock.acquired_at).toBe(1800);

    const second = await nexus('lock', 'acquire', '--reason', 'deploy');
    expect(second.code).toBe(10);
    expect(second.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'LOCK_HELD' });
    expect(second.json<{ error: { message: string } }>().error.message).toMatch(/^The deploy lock is held by ci-job-42 since .* \("maintenance window"\), until /);

    const released = await nexus('lock', 'release');
    expect(released.json()).toMatchObject({ released: true, lock: { reason: 'maintenance window' } });
    expect((await nexus('lock', 'status')).json()).toEqual({ locked: false });
    expect((await nexus('lock', 'release')).json()).toEqual({ released: false });
  });

  it('When ten jobs take the lock at the same moment, then exactly one holds it', async () => {
    const executors = await Promise.all(Array.from({ length: 10 }, connect));
    try {
      const outcomes = await Promise.allSettled(executors.map((executor, index) => new DeployLock(executor, root).acquire(DeployLock.newHolder(`job ${index}`), 600)));
      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof LockHeldError)).toHaveLength(9);
    } finally {
      await Promise.all(executors.map((executor) => executor.close()));
    }
  });

  it('When the holder crashed and its lock expired, then the next job takes it over and says whose it was', async () => {
    const executor = await connect();
    try {
      const lock = new DeployLock(executor, root);
      const crashed = await lock.acquire(DeployLock.newHolder('crashed deploy'), 600);
      // The crashed job's lock, aged past its expiry by the host's clock.
      await executor.run(['sh', '-c', `sed -i 's/"expires_at":[0-9]*/"expires_at":1/' "$1/details.json"`, 'age', join(root, 'locks', 'deploy')]);
      const next = await lock.acquire(DeployLock.newHolder('next deploy'), 600);
      expect(next.takenOver).toMatchObject({ id: crashed.details.id, reason: 'crashed deploy', expires_at: 1 });
      expect(next.details.reason).toBe('next deploy');
    } finally {
      await executor.close();
    }
  });

  it('When a holder releases, then it cannot release a lock someone else took since', async () => {
    const executor = await connect();
    try {
      const lock = new DeployLock(executor, root);
      const mine = DeployLock.newHolder('mine');
      await lock.acquire(mine, 600);
      await lock.release(undefined);
      await lock.acquire(DeployLock.newHolder('theirs'), 600);
      await expect(lock.release(mine.id)).rejects.toBeInstanceOf(LockHeldError);
      expect((await lock.status())?.reason).toBe('theirs');
    } finally {
      await executor.close();
    }
  });

  it('When the pinned host key is wrong, then the command exits 8 and the lock is untouched', async () => {
    const other = mkdtempSync(join(tmpdir(), 'nexus-lock-wrong-'));
    try {
      const { readFileSync } = await import('node:fs');
      writeFileSync(join(other, 'nexus.yml'), readFileSync(join(project, 'nexus.yml'), 'utf8').replace(sshd.hostKey, sshd.otherHostKey));
      const result = await runNexus(['lock', 'acquire', '--reason', 'x', '--target', 'production', '--dir', other, '--json'], { env });
      expect(result.code).toBe(8);
      expect(result.json<{ error: { code: string } }>().error.code).toBe('HOST_KEY_MISMATCH');
      expect((await nexus('lock', 'status')).json()).toEqual({ locked: false });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
