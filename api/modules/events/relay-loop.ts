import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import type { Logger } from '../../infra/logger';
import type { OutboxRelay } from './relay';

/** A worker not seen for this long is gone (health and `nexus status` stop counting it). */
export const HEARTBEAT_STALE_SECONDS = 30;
const HEARTBEAT_EVERY_MS = 5000;
const PRUNE_EVERY_MS = 3600_000;

export interface RelayLoopOptions {
  id: string;
  version: string;
  queueKind: string;
  pollIntervalMs: number;
  eventRetentionDays: number;
  /** Touched with each heartbeat, for a container health check. */
  heartbeatFile?: string;
}

/**
 * The worker's clock: relays the outbox every poll interval (and at once when told), writes the heartbeat,
 * prunes old events hourly. One failed round is logged and retried on the next tick; it never stops the loop.
 */
export class RelayLoop {
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private stopped = true;
  private lastHeartbeat = 0;
  private lastPrune = 0;
  private readonly startedAt = new Date();

  constructor(private readonly deps: { db: Knex; relay: OutboxRelay; logger: Logger; options: RelayLoopOptions }) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  private tick(): void {
    this.round = this.runRound().finally(() => {
      this.round = undefined;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.tick(), this.deps.options.pollIntervalMs);
    });
  }

  private async runRound(): Promise<void> {
    try {
      const relayed = await this.deps.relay.drain();
      if (relayed > 0) this.deps.logger.debug({ relayed }, 'events relayed to the delivery queue');
      const now = Date.now();
      if (now - this.lastHeartbeat >= HEARTBEAT_EVERY_MS) {
        await this.heartbeat();
        this.lastHeartbeat = now;
      }
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        const pruned = await this.deps.relay.prune(this.deps.options.eventRetentionDays);
        if (pruned > 0) this.deps.logger.info({ pruned }, 'old events and their delivery log deleted');
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'relaying the outbox failed; retrying at the next poll');
    }
  }

  private async heartbeat(): Promise<void> {
    const { db, options } = this.deps;
    await db('worker_heartbeats')
      .insert({ id: options.id, hostname: hostname(), pid: process.pid, version: options.version, queue: options.queueKind, started_at: this.startedAt, seen_at: db.fn.now() })
      .onConflict('id')
      .merge(['seen_at']);
    await db('worker_heartbeats').where('seen_at', '<', db.raw("now() - interval '1 day'")).delete();
    if (options.heartbeatFile) await this.touchHeartbeatFile(options.heartbeatFile);
  }

  /** A heartbeat file that cannot be written is said once (and again when it recovers), not every round. */
  private heartbeatFileFailed = false;
  private async touchHeartbeatFile(file: string): Promise<void> {
    try {
      await writeFile(file, `${new Date().toISOString()}\n`);
      if (this.heartbeatFileFailed) this.deps.logger.info({ file }, 'the heartbeat file is written again');
      this.heartbeatFileFailed = false;
    } catch (error) {
      if (!this.heartbeatFileFailed) this.deps.logger.warn({ err: error, file }, 'cannot write the heartbeat file (WORKER_HEARTBEAT_FILE): a container health check reading it will fail');
      this.heartbeatFileFailed = true;
    }
  }

  /** Stops the clock, waits for a round in progress, and removes this worker's heartbeat. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    await this.deps.db('worker_heartbeats').where({ id: this.deps.options.id }).delete().catch(() => undefined);
  }
}

/** A relay further behind than this (oldest committed event not yet queued) needs attention. */
export const OUTBOX_LAG_LIMIT_SECONDS = 120;

export interface OutboxState {
  status: 'healthy' | 'unhealthy';
  /** Workers seen in the last HEARTBEAT_STALE_SECONDS. */
  workers: number;
  /** Committed events not yet queued for delivery. */
  unrelayed: number;
  /** Age of the oldest of them, in seconds (0 when none). */
  outbox_lag_seconds: number;
}

/** Whether events are leaving the outbox: a worker is alive and the relay keeps up. */
export async function outboxState(db: Knex): Promise<OutboxState> {
  const [workers, backlog] = await Promise.all([
    db('worker_heartbeats').where('seen_at', '>', db.raw(`now() - make_interval(secs => ?)`, [HEARTBEAT_STALE_SECONDS])).count<{ count: string }[]>('* as count'),
    db('events').whereNull('relayed_at').select(db.raw('count(*) AS unrelayed'), db.raw('coalesce(extract(epoch FROM now() - min(created_at)), 0) AS lag')),
  ]);
  const live = Number(workers[0]?.count ?? 0);
  const unrelayed = Number((backlog[0] as { unrelayed: string }).unrelayed);
  const lag = Math.round(Number((backlog[0] as { lag: string }).lag) * 10) / 10;
  return { status: live > 0 && lag < OUTBOX_LAG_LIMIT_SECONDS ? 'healthy' : 'unhealthy', workers: live, unrelayed, outbox_lag_seconds: lag };
}
