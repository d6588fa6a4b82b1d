/**
 * Money as the customer reads it: "€24.90" for ("24.90", "EUR"). The decimal string is formatted as it is (no
 * float in between), so what the mail says is exactly what the order says.
 */
export function formatMoney(amount: string, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(amount as unknown as number);
  } catch {
    // An unknown currency code: still say how much, in which currency.
    return `${amount} ${currency}`;
  }
}

/** "7 December 2026" (UTC): the day an order was placed, without a time zone to get wrong. */
export function formatDay(isoTimestamp: string): string {
  const date = new Date(isoTimestamp);
  if (Number.isNaN(date.getTime())) return isoTimestamp;
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(date);
}

/** "7 December 2026, 14:30 UTC": a deadline, to the minute. */
export function formatMoment(isoTimestamp: string): string {
  const date = new Date(isoTimestamp);
  if (Number.isNaN(date.getTime())) return isoTimestamp;
  const day = formatDay(isoTimestamp);
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' }).format(date);
  return `${day}, ${time} UTC`;
}
