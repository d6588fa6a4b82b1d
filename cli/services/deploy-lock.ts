import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { Executor } from '../exec/executor';
import { acquireLock, LOCK_FREE_STATUS, LOCK_HELD_STATUS, lockStatus, releaseLock, type LockDetails, type LockOwner } from '../remote/lock';

/** Who is deploying, as other operators will read it: NEXUS_OPERATOR, else user@machine. */
export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  return env.NEXUS_OPERATOR ?? `${userInfo().username}@${hostname()}`;
}

function parseDetails(text: string): LockDetails {
  return JSON.parse(text.trim()) as LockDetails;
}

function describe(details: LockDetails): string {
  return `${details.owner} since ${new Date(details.acquired_at * 1000).toISOString()} ("${details.reason}"), until ${new Date(details.expires_at * 1000).toISOString()}`;
}

export class LockHeldError extends NexusError {
  constructor(readonly holder: LockDetails) {
    super(`The deploy lock is held by ${describe(holder)}.`, {
      details: holder,
      code: 'LOCK_HELD',
      exitCode: ExitCode.LOCK_HELD,
      suggestions: ['wait for that deploy to finish, or, if it is gone, `nexus lock release --target <target>` (an expired lock is taken over by the next deploy anyway)'],
    });
  }
}

function failure(action: string, result: { code: number | null; stderr: string; stdout: string }): NexusError {
  return new NexusError(`Could not ${action} the deploy lock: ${(result.stderr || result.stdout).trim() || `exit ${result.code}`}`, { code: 'LOCK_FAILED' });
}

/**
 * The deploy lock of a target: a directory on its first host holding who, why and until when. Taking it is
 * atomic (mkdir under flock); a lock past its expiry (by the host's clock) is taken over, so a crashed job
 * cannot strand it.
 */
export class DeployLock {
  constructor(
    private readonly exec: Executor,
    private readonly root: string,
  ) {}

  static newHolder(reason: string, env: NodeJS.ProcessEnv = process.env): LockOwner {
    return { id: randomBytes(8).toString('hex'), owner: operatorName(env), reason };
  }

  async status(): Promise<LockDetails | undefined> {
    const result = await this.exec.run(lockStatus(this.root));
    if (result.code === LOCK_FREE_STATUS) return undefined;
    if (result.code !== 0) throw failure('read', result);
    return parseDetails(result.stdout);
  }

  /** @returns the expired lock that was taken over, if any @throws {LockHeldError} */
  async acquire(holder: LockOwner, ttlSeconds: number): Promise<{ details: LockDetails; takenOver?: LockDetails }> {
    const result = await this.exec.run(acquireLock(this.root, holder, ttlSeconds));
    if (result.code === LOCK_HELD_STATUS) throw new LockHeldError(parseDetails(result.stdout));
    if (result.code !== 0) throw failure('take', result);
    const line = result.stdout.trim();
    const takenOver = line.startsWith('taken-over ') ? parseDetails(line.slice('taken-over '.length)) : undefined;
    const details = await this.status();
    if (!details || details.id !== holder.id) throw failure('take', { code: result.code, stdout: '', stderr: 'the lock changed hands right after it was taken' });
    return { details, takenOver };
  }

  /** Releases the lock this holder took; with `force`, whoever holds it. @returns what was released */
  async release(holderId: string | undefined): Promise<LockDetails | undefined> {
    const before = await this.status();
    if (!before) return undefined;
    const result = await this.exec.run(releaseLock(this.root, holderId));
    if (result.code === LOCK_HELD_STATUS) throw new LockHeldError(parseDetails(result.stdout));
    if (result.code !== 0) throw failure('release', result);
    return before;
  }
}

/**
 * Runs work while holding the target's deploy lock (taken on its first host), so that deploys, rollbacks and
 * certificate installs never switch nginx at the same time. @throws {LockHeldError} when someone else holds it
 */
export async function withDeployLock<T>(exec: Executor, target: { root: string; lock_ttl: number }, reason: string, note: (message: string) => void, work: () => Promise<T>): Promise<T> {
  const lock = new DeployLock(exec, target.root);
  const holder = DeployLock.newHolder(reason);
  const { takenOver } = await lock.acquire(holder, target.lock_ttl);
  if (takenOver) note(`Took over an expired deploy lock held by ${takenOver.owner} ("${takenOver.reason}").`);
  try {
    return await work();
  } finally {
    await lock.release(holder.id).catch((error: unknown) => note(`Could not release the deploy lock: ${(error as Error).message}`));
  }
}
