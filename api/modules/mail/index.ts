import type { Knex } from 'knex';
import type { Config } from '../../config';
import type { Logger } from '../../infra/logger';
import type { Mailer } from '../../infra/mailer';
import { MailDeliveries } from './mail-deliveries';
import { OrderMail } from './order-mail';
import { createMailRenderer, MAIL_TEMPLATES } from './templates';

export { OrderMail } from './order-mail';
export { MailDeliveries, type MailDeliveryRow, type MailDeliveryStatus } from './mail-deliveries';
export { ORDER_MAIL_TEMPLATES, orderMailView, type OrderMailTemplate, type OrderMailView } from './order-mail-view';
export { createMailRenderer, MAIL_TEMPLATES, type RenderedMail, type RenderMail } from './templates';
export { mailMessageId } from './message-headers';

/** Longer than the SMTP mailer's timeouts added up (connection, greeting, socket: 2 minutes). */
const LEASE_SECONDS = 300;

export interface OrderMailOptions {
  db: Knex;
  mailer: Mailer;
  config: Pick<Config, 'shop' | 'mail' | 'delivery' | 'orders'>;
  logger: Logger;
  /** Another template directory (default templates/mail). */
  templatesDir?: string;
  now?: () => Date;
}

/** The worker's order mail: `send({ eventId })` for each mailed order event. */
export function createOrderMail(options: OrderMailOptions): OrderMail {
  const { config } = options;
  return new OrderMail({
    db: options.db,
    deliveries: new MailDeliveries(options.db),
    mailer: options.mailer,
    render: createMailRenderer(options.templatesDir ?? MAIL_TEMPLATES),
    logger: options.logger,
    from: config.mail.from,
    view: { shop: { name: config.shop.name, supportEmail: config.shop.supportEmail }, currency: config.orders.currency, orderUrlTemplate: config.shop.orderUrlTemplate },
    retry: { windowSeconds: config.delivery.retryWindowSeconds, baseSeconds: config.delivery.retryBaseSeconds, maxSeconds: config.delivery.retryMaxSeconds },
    leaseSeconds: LEASE_SECONDS,
    now: options.now ?? (() => new Date()),
  });
}
