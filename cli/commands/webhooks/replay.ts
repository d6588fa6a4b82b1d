import type { DeliveryView } from '../../../api/modules/webhooks';
import { cliActor } from '../../services/user-admin';
import { WebhooksCommand } from '../../webhooks-command';

export default class WebhooksReplay extends WebhooksCommand<DeliveryView> {
  static override summary = 'Deliver an event to a subscription again';

  static override description =
    'The same event (same id, so the receiver can deduplicate) with a fresh 24 h retry window. The worker picks the request up on its next poll; `nexus webhooks deliveries` follows it.';

  static override examples = ['<%= config.bin %> webhooks replay 3 41'];

  static override args = {
    id: WebhooksCommand.subscriptionArg,
    delivery: WebhooksCommand.deliveryArg,
  };

  static override flags = { ...WebhooksCommand.databaseFlags };

  async run(): Promise<DeliveryView> {
    const { args, flags } = await this.parse(WebhooksReplay);
    const id = this.positiveId(args.id, 'ID');
    const deliveryId = this.positiveId(args.delivery, 'DELIVERY');
    const delivery = await this.withWebhooks(flags['database-url'], (webhooks) => webhooks.replay(cliActor(), id, deliveryId));
    this.log(`Replay requested: delivery ${delivery.id} (${delivery.event_type} ${delivery.event_id}); the worker sends it on its next poll.`);
    return delivery;
  }
}
