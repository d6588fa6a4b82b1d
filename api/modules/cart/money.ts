/** Money as integer cents: exact sums and products, no floating-point drift. */
export function toCents(amount: string | number): number {
  const [whole = '0', fraction = ''] = String(amount).split('.');
  const sign = whole.startsWith('-') ? -1 : 1;
  return sign * (Math.abs(Number(whole)) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2)));
}

/** "49.50" for 4950. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(cents);
  return `${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, '0')}`;
}

/** The old cart's JSON numbers (148.5, 10, 0): computed money was a float there, and old clients read numbers. */
export function centsToNumber(cents: number): number {
  return cents / 100;
}
