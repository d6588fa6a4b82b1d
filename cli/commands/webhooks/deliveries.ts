import { Flags } from '@oclif/core';
import { DELIVERY_STATUSES, type DeliveryView } from '../../../api/modules/webhooks';
import { WebhooksCommand } from '../../webhooks-command';

export interface WebhookDeliveriesResult {
  count: number;
  results: DeliveryView[];
}

/** One line of the delivery log. */
export function deliveryLine(delivery: DeliveryView): string {
  const answer = delivery.last_status_code === null ? '' : ` HTTP ${delivery.last_status_code}`;
  const latency = delivery.last_latency_ms === null ? '' : ` in ${delivery.last_latency_ms} ms`;
  const error = delivery.last_error && delivery.status !== 'succeeded' ? `: ${delivery.last_error}` : '';
  const next = delivery.next_attempt_at ? `, next attempt ${delivery.next_attempt_at}` : '';
  return `${String(delivery.id).padStart(6)}  ${delivery.created_at.slice(0, 19)}  ${delivery.event_type.padEnd(20)} ${delivery.event_id}  ${delivery.status} after ${delivery.attempts} attempt(s)${answer}${latency}${error}${next}`;
}

export default class WebhooksDeliveries extends WebhooksCommand<WebhookDeliveriesResult> {
  static override summary = 'Show a subscription\'s delivery log';

  static override description = 'Newest first: each event sent (or to be sent) with its status, attempts, last answer, latency and error. `nexus webhooks replay` sends one again.';

  static override examples = ['<%= config.bin %> webhooks deliveries 3', '<%= config.bin %> webhooks deliveries 3 --status failed --limit 5 --json'];

  static override args = { id: WebhooksCommand.subscriptionArg };

  static override flags = {
    ...WebhooksCommand.databaseFlags,
    status: Flags.option({ options: DELIVERY_STATUSES, description: 'Only deliveries in this state.' })(),
    limit: Flags.integer({ description: 'How many of the newest to show.', default: 20, min: 1, max: 500 }),
  };

  async run(): Promise<WebhookDeliveriesResult> {
    const { args, flags } = await this.parse(WebhooksDeliveries);
    const id = this.positiveId(args.id, 'ID');
    const result = await this.withWebhooks(flags['database-url'], async (webhooks) => {
      const results = await webhooks.deliveries(id, flags.status, flags.limit, 0);
      return { count: await webhooks.countDeliveries(id, flags.status), results };
    });
    if (result.results.length === 0) this.log(flags.status ? `No ${flags.status} deliveries.` : 'No deliveries yet.');
    for (const delivery of result.results) this.log(deliveryLine(delivery));
    if (result.count > result.results.length) this.log(`${result.results.length} of ${result.count} (--limit shows more)`);
    return result;
  }
}
