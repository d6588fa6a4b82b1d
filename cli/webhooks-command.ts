import { Args, Flags } from '@oclif/core';
import type { Knex } from 'knex';
import { ALL_EVENTS, SUBSCRIBABLE_EVENTS, type SubscriptionView, type WebhookSubscriptions } from '../api/modules/webhooks';
import { recordedEnvironment } from '../db/meta';
import { DatabaseCommand } from './database-command';
import { UsageError } from './errors';
import { sharedFlags } from './flags';
import { asWebhookCliError, webhookAdmin, webhookConfig } from './services/webhook-admin';

const EVENT_CHOICES: readonly string[] = [ALL_EVENTS, ...SUBSCRIBABLE_EVENTS];

/** The problem with a comma-separated list of event types, if any (shared by the flag and the prompt). */
export function eventListProblem(value: string): string | undefined {
  const events = value.split(',').map((item) => item.trim()).filter(Boolean);
  if (events.length === 0) return 'expected at least one event type';
  const unknown = events.filter((event) => !EVENT_CHOICES.includes(event));
  return unknown.length > 0 ? `unknown event type ${unknown.map((event) => `"${event}"`).join(', ')} (one of: ${EVENT_CHOICES.join(', ')})` : undefined;
}

/**
 * A positive integer id argument. Read as text and checked by `id()` once the whole command line is parsed,
 * so that a bad flag value is reported first, by its flag.
 */
function idArg(name: string, description: string) {
  return Args.string({ name, required: true, description });
}

/** Base of `nexus webhooks …`: the webhooks module's staff powers on a database, audited as the CLI operator. */
export abstract class WebhooksCommand<T> extends DatabaseCommand<T> {
  static subscriptionArg = idArg('id', 'The subscription id (`nexus webhooks list` shows it).');

  static deliveryArg = idArg('delivery', 'The delivery id (`nexus webhooks deliveries <id>` shows it).');

  static databaseFlags = { 'database-url': sharedFlags.databaseUrl };

  /** Event types, comma-separated, checked while the command line is parsed. */
  static eventsFlag = Flags.custom<string[]>({
    helpValue: '<type,…>',
    parse: async (input) => {
      const problem = eventListProblem(input);
      if (problem) throw new UsageError(`${problem}.`);
      return input.split(',').map((item) => item.trim()).filter(Boolean);
    },
  });

  /** @param options.seals the command makes a signing secret, so it needs the API's WEBHOOK_SECRET_KEY */
  protected async withWebhooks<R>(databaseUrl: string | undefined, work: (webhooks: WebhookSubscriptions, db: Knex) => Promise<R>, options: { seals?: boolean } = {}): Promise<R> {
    return this.withDatabase(databaseUrl, async (db, target) => {
      const production = process.env.NODE_ENV === 'production' || (await recordedEnvironment(db)) === 'production';
      const webhooks = webhookAdmin(db, webhookConfig(target, { needsKey: Boolean(options.seals), production }));
      try {
        return await work(webhooks, db);
      } catch (error) {
        return asWebhookCliError(error);
      }
    });
  }

  /** The argument as an id; anything but a positive integer is a usage error (exit 2) naming it. */
  protected positiveId(value: string, name: string): number {
    if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new UsageError(`${name}: expected a positive integer id; not "${value}".`);
    return Number(value);
  }

  protected describe(subscription: SubscriptionView): string {
    const state = subscription.is_active ? '' : ` [disabled${subscription.disabled_reason ? `: ${subscription.disabled_reason}` : ''}]`;
    return `${String(subscription.id).padStart(4)}  ${subscription.url}  ${subscription.events.join(',')}${subscription.description ? `  "${subscription.description}"` : ''}${state}`;
  }

  /** The secret, once, with the warning that goes with it (to stdout: it is the result). */
  protected showSecret(secret: string): void {
    this.log(`Signing secret: ${secret}`);
    this.log('Store it now: it will not be shown again (`nexus webhooks rotate-secret` makes a new one).');
  }
}
