import type { Knex } from 'knex';
import type { Logger } from '../../infra/logger';
import type { OrderRow } from './model';
import type { OrderRepository, OverdueScope } from './repository';
import { SYSTEM, type OrderTransitions } from './transitions';

export const EXPIRY_NOTE = 'Payment was not received before the deadline.';

/** The most orders one call expires: a backlog is worked off over several sweeps rather than in one burst. */
const BATCH = 200;

/**
 * The payment deadline: an order still pending when its `payment_due_at` passes is cancelled with reason
 * `payment_timeout` and its stock goes back. Each order is expired in its own short transaction under its row
 * lock, and locked orders are skipped, so any number of processes (the sweepers of every API process, a
 * read, a payment) can race for the same orders and each order's stock is returned exactly once.
 */
export class OrderExpiry {
  constructor(private readonly deps: { db: Knex; orders: OrderRepository; transitions: OrderTransitions }) {}

  /** Expires an order that the caller already holds locked (a payment that arrived too late). */
  async expireLocked(trx: Knex.Transaction, order: OrderRow): Promise<OrderRow> {
    return (await this.deps.transitions.apply(trx, order, 'cancelled', SYSTEM, EXPIRY_NOTE, 'payment_timeout')).order;
  }

  /** @returns how many overdue orders in scope this call expired (others may have been taken by another process) */
  async expireOverdue(scope: OverdueScope = {}): Promise<number> {
    let expired = 0;
    while (expired < BATCH) {
      const one = await this.deps.db.transaction(async (trx) => {
        const order = await this.deps.orders.lockNextOverdue(trx, scope);
        if (order) await this.expireLocked(trx, order);
        return order !== undefined;
      });
      if (!one) break;
      expired += 1;
    }
    return expired;
  }

  /** Expires the overdue orders in scope, if there are any: one cheap probe when there are none. */
  async settle(scope: OverdueScope = {}): Promise<void> {
    if (await this.deps.orders.hasOverdue(scope)) await this.expireOverdue(scope);
  }
}

export interface ExpirySweeper {
  start(): void;
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/**
 * Sweeps for overdue orders every `intervalSeconds` (with up to 20% jitter, so processes started together
 * do not sweep in lockstep). Every API process runs one; with the default interval an order is released
 * within about 12 seconds of its deadline.
 */
export function expirySweeper(expiry: OrderExpiry, intervalSeconds: number, logger: Logger): ExpirySweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(sweep, intervalSeconds * 1000 * (1 + Math.random() * 0.2));
    timer.unref();
  };
  const sweep = () => {
    running = expiry
      .expireOverdue()
      .then((count) => {
        if (count > 0) logger.info({ expired: count }, 'orders past their payment deadline cancelled, stock returned');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'order expiry sweep failed; retrying at the next interval'))
      .finally(() => {
        running = undefined;
        schedule();
      });
  };
  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
