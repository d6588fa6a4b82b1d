import type { TestApi } from '../../support/api';
import type { ReceivedMail } from '../../support/smtp';

/** The settings the mail suites run with: a shop with its own name, sender, support address and currency. */
export const SHOP_MAIL_SETTINGS = {
  MAIL_FROM: 'Acme Store <orders@acme.test>',
  SHOP_NAME: 'Acme Store',
  SUPPORT_EMAIL: 'help@acme.test',
  CURRENCY: 'USD',
  ORDER_MAX_UNPAID: '1000',
  CATALOG_CACHE_TTL: '0',
  ORDER_URL: 'https://acme.test/account/orders/{id}/',
};

export interface OrderEventRecord {
  id: string;
  type: string;
}

/** An order's events from the outbox, in the order they were written. */
export function orderEvents(api: TestApi, orderId: number): Promise<OrderEventRecord[]> {
  return api.db('events').where({ resource_type: 'order', resource_id: String(orderId) }).orderBy('sequence').select<OrderEventRecord[]>('id', 'type');
}

/** The one event of `type` for the order. */
export async function orderEvent(api: TestApi, orderId: number, type: string): Promise<OrderEventRecord> {
  const matching = (await orderEvents(api, orderId)).filter((event) => event.type === type);
  if (matching.length !== 1) throw new Error(`expected one ${type} event for order ${orderId}, found ${matching.length}`);
  return matching[0] as OrderEventRecord;
}

export interface DeliveryRecord {
  status: string;
  recipient: string;
  attempts: number;
  last_error: string | null;
  message_id: string | null;
  sent_at: string | null;
  locked_until: string | null;
}

export function deliveriesOf(api: TestApi, eventId: string): Promise<DeliveryRecord[]> {
  return api.db('mail_deliveries').where({ event_id: eventId }).select<DeliveryRecord[]>('status', 'recipient', 'attempts', 'last_error', 'message_id', 'sent_at', 'locked_until');
}

/** A header of a received mail as text (mailparser keeps unstructured headers as strings). */
export function header(mail: ReceivedMail, name: string): string | undefined {
  const value = mail.parsed.headers.get(name.toLowerCase());
  return typeof value === 'string' ? value : undefined;
}

/** The mail with this Message-ID, if it arrived. */
export function mailWithId(mails: ReceivedMail[], messageId: string): ReceivedMail | undefined {
  return mails.find((mail) => mail.parsed.messageId === messageId);
}
