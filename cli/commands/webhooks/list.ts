import { Flags } from '@oclif/core';
import type { SubscriptionView } from '../../../api/modules/webhooks';
import { WebhooksCommand } from '../../webhooks-command';

export interface WebhooksListResult {
  count: number;
  page: number;
  results: SubscriptionView[];
}

export default class WebhooksList extends WebhooksCommand<WebhooksListResult> {
  static override summary = 'List webhook subscriptions';

  static override description = 'Newest first, never with their signing secrets. A disabled subscription shows why it was disabled.';

  static override examples = ['<%= config.bin %> webhooks list', '<%= config.bin %> webhooks list --json'];

  static override flags = {
    ...WebhooksCommand.databaseFlags,
    page: Flags.integer({ description: 'Page number.', default: 1, min: 1, max: 1_000_000 }),
    'page-size': Flags.integer({ description: 'Subscriptions per page.', default: 50, min: 1, max: 500 }),
  };

  async run(): Promise<WebhooksListResult> {
    const { flags } = await this.parse(WebhooksList);
    const size = flags['page-size'];
    const { count, results } = await this.withWebhooks(flags['database-url'], async (webhooks) => ({
      count: await webhooks.count(),
      results: await webhooks.list(size, (flags.page - 1) * size),
    }));
    if (results.length === 0) this.log(count === 0 ? 'No webhook subscriptions.' : `No subscriptions on page ${flags.page} (${count} in all).`);
    for (const subscription of results) this.log(this.describe(subscription));
    return { count, page: flags.page, results };
  }
}
