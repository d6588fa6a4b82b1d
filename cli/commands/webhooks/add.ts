import { Flags } from '@oclif/core';
import type { SubscriptionWithSecret } from '../../../api/modules/webhooks';
import { UsageError } from '../../errors';
import { checks } from '../../flags';
import { askList, askText } from '../../prompts';
import { cliActor } from '../../services/user-admin';
import { eventListProblem, WebhooksCommand } from '../../webhooks-command';

export default class WebhooksAdd extends WebhooksCommand<SubscriptionWithSecret> {
  static override summary = 'Subscribe a URL to events';

  static override description =
    'The URL must be http(s) (https in production), without credentials, and resolve to public addresses only (WEBHOOK_ALLOW_HOSTS lists exceptions, for development). Prints the signing secret once: store it then. The API\'s WEBHOOK_SECRET_KEY (or JWT_SECRET) must be set, so that the API and worker can read the secret.';

  static override examples = [
    '<%= config.bin %> webhooks add --url https://fulfilment.example.com/hooks/nexus --events order.paid,order.shipped',
    '<%= config.bin %> webhooks add --url https://audit.example.com/nexus --events "*" --description "Audit trail" --json',
  ];

  static override flags = {
    ...WebhooksCommand.databaseFlags,
    url: Flags.string({ description: 'Where events are POSTed.' }),
    events: WebhooksCommand.eventsFlag({ description: 'Event types, comma-separated, or * for all (e.g. order.paid,order.shipped).' }),
    description: Flags.string({ description: 'What the receiver is (shown in lists), up to 200 characters.' }),
  };

  async run(): Promise<SubscriptionWithSecret> {
    const { flags } = await this.parse(WebhooksAdd);
    const interactive = this.isInteractive();
    const url = flags.url ?? (interactive ? await askText('URL to POST events to', checks.url) : undefined);
    if (!url) throw new UsageError('A URL is required.', ['pass --url https://receiver.example.com/hooks/nexus']);
    const events = flags.events ?? (interactive ? await askList('Event types (comma-separated, or *)', (value) => eventListProblem(value)) : undefined);
    if (!events) throw new UsageError('The event types are required.', ['pass --events order.paid,order.shipped (or --events "*")']);

    const created = await this.withWebhooks(flags['database-url'], (webhooks) => webhooks.create(cliActor(), { url, events, description: flags.description }), { seals: true });
    this.log(`Subscribed: ${this.describe(created)}`);
    this.showSecret(created.secret);
    return created;
  }
}
