/** The domain of the sender address in MAIL_FROM (`Shop <no-reply@shop.example>` → `shop.example`). */
export function senderDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim().toLowerCase();
  return /^[a-z0-9.-]+$/.test(domain) ? domain : 'localhost';
}

/**
 * The same Message-ID for every attempt at one mail, so that a message sent again after a crash (the server took
 * it, but we never recorded that) is recognisably the same message to the server, the mailbox and us.
 */
export function mailMessageId(eventId: string, template: string, from: string): string {
  return `<${eventId}.${template}@${senderDomain(from)}>`;
}

/** The headers of one order mail: its stable id, the event it tells of, and that no human sent it. */
export function orderMailHeaders(eventId: string, messageId: string): Record<string, string> {
  return {
    'Message-ID': messageId,
    'X-Nexus-Event-Id': eventId,
    // RFC 3834: vacation responders and ticket systems must not answer automatically.
    'Auto-Submitted': 'auto-generated',
  };
}
