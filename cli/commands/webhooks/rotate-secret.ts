import type { SubscriptionWithSecret } from '../../../api/modules/webhooks';
import { cliActor } from '../../services/user-admin';
import { WebhooksCommand } from '../../webhooks-command';

export default class WebhooksRotateSecret extends WebhooksCommand<SubscriptionWithSecret> {
  static override summary = 'Replace a subscription\'s signing secret';

  static override description =
    'The new secret signs every attempt from now on; the old one stops at once, so update the receiver right after. Also the repair for a secret sealed under another WEBHOOK_SECRET_KEY.';

  static override examples = ['<%= config.bin %> webhooks rotate-secret 3', '<%= config.bin %> webhooks rotate-secret 3 --json'];

  static override args = { id: WebhooksCommand.subscriptionArg };

  static override flags = { ...WebhooksCommand.databaseFlags };

  async run(): Promise<SubscriptionWithSecret> {
    const { args, flags } = await this.parse(WebhooksRotateSecret);
    const id = this.positiveId(args.id, 'ID');
    const rotated = await this.withWebhooks(flags['database-url'], (webhooks) => webhooks.rotateSecret(cliActor(), id), { seals: true });
    this.log(`New secret for ${this.describe(rotated)}`);
    this.showSecret(rotated.secret);
    return rotated;
  }
}
