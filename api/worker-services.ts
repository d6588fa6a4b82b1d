import type { Knex } from 'knex';
import type { Config } from './config';
import type { Logger } from './infra/logger';
import { createMailer, type Mailer } from './infra/mailer';
import { createOrderMail } from './modules/mail';
import { createWebhooksModule } from './modules/webhooks';
import type { WorkerServices } from './worker';

export interface WorkerOverrides {
  /** How webhook host names are resolved (tests point it at their own DNS server). */
  resolveHost?: (host: string) => Promise<string[]>;
  mailer?: Mailer;
}

/** The senders the worker runs jobs with, built from the same modules (and rules) the API uses. */
export function createWorkerServices(config: Config, db: Knex, logger: Logger, overrides: WorkerOverrides): WorkerServices {
  const webhooks = createWebhooksModule({ db, config, logger, resolveHost: overrides.resolveHost });
  const mail = createOrderMail({ db, mailer: overrides.mailer ?? createMailer(config.mail, logger), config, logger });
  return { webhooks: webhooks.delivery, mail };
}
