import type { Config } from '../../../api/config';
import { createLogger } from '../../../api/infra/logger';
import { recordEvent, type EventType } from '../../../api/modules/events';
import { createWebhooksModule, type ResolveHost, type WebhooksModule } from '../../../api/modules/webhooks';
import type { TestApi } from '../../support/api';

export const OPERATOR = { label: 'cli:tests', source: 'cli' as const };

export interface ModuleOptions {
  webhooks?: Partial<Config['webhooks']>;
  delivery?: Partial<Config['delivery']>;
  resolveHost?: ResolveHost;
  /** A clock the test moves; default: real time. */
  now?: () => number;
}

/**
 * The webhooks module on the test API's database, as the worker builds it, with settings overridden per test
 * and the retry jitter pinned to none (random 0.5 is a factor of exactly 1).
 */
export function webhooksModule(api: TestApi, options: ModuleOptions = {}): WebhooksModule {
  return createWebhooksModule({
    db: api.db,
    config: {
      version: api.config.version,
      webhooks: { ...api.config.webhooks, ...options.webhooks },
      delivery: { ...api.config.delivery, ...options.delivery },
    },
    logger: createLogger({ level: 'silent' }),
    resolveHost: options.resolveHost,
    now: options.now,
    random: () => 0.5,
  });
}

/** Records an event the way a service does (in a transaction); returns its id. */
export function recordTestEvent(api: TestApi, type: EventType = 'order.paid', object: unknown = { id: 7, status: 'paid', note: 'Grüße, "quotes" & <tags>' }): Promise<string> {
  return api.db.transaction((trx) => recordEvent(trx, { type, resource: { type: 'order', id: 7 }, object, context: { previous_status: 'pending' } }));
}

/** A clock for the delivery module that the test moves by hand. */
export function manualClock(start = Date.now()): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}
