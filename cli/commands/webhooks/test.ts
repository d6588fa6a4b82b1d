import { setTimeout as sleep } from 'node:timers/promises';
import { Flags } from '@oclif/core';
import type { DeliveryView, WebhookSubscriptions } from '../../../api/modules/webhooks';
import { NexusError } from '../../errors';
import { cliActor } from '../../services/user-admin';
import { WebhooksCommand } from '../../webhooks-command';
import { deliveryLine } from './deliveries';

export interface WebhookTestResult {
  event_id: string;
  /** The delivery as --wait left it (absent without --wait). */
  delivery?: DeliveryView;
}

const POLL_MS = 500;
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export default class WebhooksTest extends WebhooksCommand<WebhookTestResult> {
  static override summary = 'Send a webhook.test event to a subscription';

  static override description =
    'Records the event; the worker (`nexus worker`, or the one `nexus dev` runs) delivers it. With --wait, follows the delivery log until the delivery succeeds or fails, and exits 1 unless it succeeded.';

  static override examples = ['<%= config.bin %> webhooks test 3', '<%= config.bin %> webhooks test 3 --wait 30 --json'];

  static override args = { id: WebhooksCommand.subscriptionArg };

  static override flags = {
    ...WebhooksCommand.databaseFlags,
    wait: Flags.integer({ description: 'Seconds to wait for the delivery\'s outcome.', min: 1, max: 3600 }),
  };

  async run(): Promise<WebhookTestResult> {
    const { args, flags } = await this.parse(WebhooksTest);
    const id = this.positiveId(args.id, 'ID');
    return this.withWebhooks(flags['database-url'], async (webhooks) => {
      const { event_id: eventId } = await webhooks.sendTest(cliActor(), id);
      this.log(`Test event ${eventId} recorded for subscription ${id}.`);
      if (!flags.wait) return { event_id: eventId };
      const delivery = await this.follow(webhooks, id, eventId, flags.wait);
      this.log(deliveryLine(delivery));
      if (delivery.status !== 'succeeded') {
        throw new NexusError(`The test delivery ${delivery.status === 'failed' ? 'failed' : `was ${delivery.status}`}: ${delivery.last_error ?? 'no answer'}.`, {
          code: 'WEBHOOK_TEST_FAILED',
          details: { event_id: eventId, delivery },
          suggestions: [`\`nexus webhooks deliveries ${id}\` shows every attempt`],
        });
      }
      return { event_id: eventId, delivery };
    });
  }

  /** Polls the delivery log until the delivery is final, or the time is up (then it says what it saw). */
  private async follow(webhooks: WebhookSubscriptions, id: number, eventId: string, seconds: number): Promise<DeliveryView> {
    const deadline = Date.now() + seconds * 1000;
    this.note(`Waiting up to ${seconds} s for the worker to deliver it…`);
    for (;;) {
      const delivery = await webhooks.deliveryOfEvent(id, eventId);
      if (delivery && FINAL.has(delivery.status)) return delivery;
      if (Date.now() >= deadline) {
        const seen = delivery ? `it is ${delivery.status} after ${delivery.attempts} attempt(s)${delivery.last_error ? ` (${delivery.last_error})` : ''}` : 'the worker has not picked it up';
        throw new NexusError(`No outcome after ${seconds} s: ${seen}.`, {
          code: 'WEBHOOK_TEST_TIMEOUT',
          details: { event_id: eventId, delivery },
          suggestions: ['is a worker running? `nexus worker` starts one (`nexus dev` runs one)', `\`nexus webhooks deliveries ${id}\` shows the attempts so far`],
        });
      }
      await sleep(POLL_MS);
    }
  }
}
