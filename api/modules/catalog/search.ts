/**
 * Turns what a shopper typed into a PostgreSQL tsquery: every word must match, and the last one also as a
 * prefix, so `iph` finds "iPhone" while typing. Only letters and digits reach the query, so operators and
 * injection attempts are just ignored characters.
 * @returns undefined when nothing searchable is left
 * @example toPrefixQuery('red iph') // "red & iph:*"
 */
export function toPrefixQuery(input: string): string | undefined {
  const words = input
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 16)
    .map((word) => word.slice(0, 64));
  if (words.length === 0) return undefined;
  return words.map((word, index) => (index === words.length - 1 ? `${word}:*` : word)).join(' & ');
}
