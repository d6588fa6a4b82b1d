import type { Knex } from 'knex';
import type { Config } from '../../config';
import type { Endpoint } from '../../http/endpoint';
import type { Logger } from '../../infra/logger';
import { AuditLog } from '../audit';
import { WebhookDelivery } from './delivery';
import { WebhookRepository } from './repository';
import { webhookEndpoints } from './routes';
import { SecretBox } from './secrets';
import { WebhookSubscriptions } from './service';
import { UrlGuard, type ResolveHost } from './url-safety';

export interface WebhooksModuleDeps {
  db: Knex;
  config: Pick<Config, 'webhooks' | 'delivery' | 'version'>;
  logger: Logger;
  /** How host names are resolved for the SSRF checks (default: the system resolver); tests use a test DNS server. */
  resolveHost?: ResolveHost;
  /** Clock in milliseconds (signatures, retry windows). */
  now?: () => number;
  /** Jitter for retry delays (tests pin it). */
  random?: () => number;
}

export interface WebhooksModule {
  /** The staff API (`/admin/webhooks…`), mounted at /api/v1. */
  endpoints: Endpoint[];
  /** Subscriptions and their delivery log, for every staff door: API, CLI, console. */
  subscriptions: WebhookSubscriptions;
  /** What the worker delivers with. */
  delivery: WebhookDelivery;
}

export function createWebhooksModule(deps: WebhooksModuleDeps): WebhooksModule {
  const box = new SecretBox(deps.config.webhooks.secretKey);
  const guard = new UrlGuard({ allowHosts: deps.config.webhooks.allowHosts, requireHttps: deps.config.webhooks.requireHttps }, deps.resolveHost);
  const subscriptions = new WebhookSubscriptions({ db: deps.db, repository: new WebhookRepository(deps.db), audit: new AuditLog(deps.db), box, guard });
  const delivery = new WebhookDelivery({ db: deps.db, config: deps.config, box, guard, logger: deps.logger, now: deps.now ?? Date.now, random: deps.random });
  return { endpoints: webhookEndpoints(subscriptions), subscriptions, delivery };
}

export { signPayload, verifySignature, SIGNATURE_HEADER, DEFAULT_TOLERANCE_SECONDS, type VerifyInput } from './signature';
export { generateSecret, SecretBox, SecretKeyMismatchError, SECRET_PREFIX } from './secrets';
export { UrlGuard, UnsafeUrlError, systemResolveHost, type ResolveHost, type UrlPolicy } from './url-safety';
export { judgeAddress } from './address-rules';
export { ALL_EVENTS, SUBSCRIBABLE_EVENTS, DELIVERY_STATUSES, type DeliveryStatus } from './model';
export { subscriptionBody, subscriptionPatchBody, type SubscriptionInput, type SubscriptionPatch } from './schemas';
export type { SubscriptionView, SubscriptionWithSecret, DeliveryView, DeliveryDetail, AttemptView } from './serializers';
export type { WebhookSubscriptions } from './service';
export type { WebhookDelivery, DeliveryJob } from './delivery';
