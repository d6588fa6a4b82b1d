import type { SubscriptionView } from '../../../api/modules/webhooks';
import { cliActor } from '../../services/user-admin';
import { WebhooksCommand } from '../../webhooks-command';

export default class WebhooksRemove extends WebhooksCommand<SubscriptionView> {
  static override summary = 'Delete a webhook subscription and its delivery log';

  static override description = 'Deliveries still queued for it are dropped by the worker. To pause one instead, disable it through the staff API (PATCH is_active=false).';

  static override examples = ['<%= config.bin %> webhooks remove 3'];

  static override args = { id: WebhooksCommand.subscriptionArg };

  static override flags = { ...WebhooksCommand.databaseFlags };

  async run(): Promise<SubscriptionView> {
    const { args, flags } = await this.parse(WebhooksRemove);
    const id = this.positiveId(args.id, 'ID');
    const removed = await this.withWebhooks(flags['database-url'], (webhooks) => webhooks.remove(cliActor(), id));
    this.log(`Removed: ${this.describe(removed)}`);
    return removed;
  }
}
