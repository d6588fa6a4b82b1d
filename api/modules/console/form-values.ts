import { AppError } from '../../errors';

/** A form or query value as text: trimmed and at most `max` characters; anything but a string is empty. */
export const text = (value: unknown, max = 200): string => (typeof value === 'string' ? value.trim().slice(0, max) : '');

/** A database id in a path: 1 to 16 digits, never 0; anything else is a 404 naming what was asked for. */
export function pathId(value: unknown, what: string): number {
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) throw new AppError({ status: 404, code: 'not_found', detail: `No such ${what}.` });
  return Number(value);
}

/** The page a list was asked for: 1 to 100,000, anything else the first. */
export const pageNumber = (value: unknown): number => Math.max(1, Math.min(Number.parseInt(text(value), 10) || 1, 100_000));

/** Links to other pages of a list, keeping its filters. */
export const pageLinks = (path: string, query: Record<string, string>) => (target: number) => `${path}?${new URLSearchParams({ ...query, page: String(target) }).toString()}`;

/** A refusal as staff read it: its detail, or each field with its messages. */
export function refusalMessage(error: AppError): string {
  const body = error.toBody();
  if (typeof body.detail === 'string') return body.detail;
  return Object.entries(body)
    .filter(([name]) => name !== 'code')
    .map(([name, messages]) => `${name}: ${([] as unknown[]).concat(messages).join(' ')}`)
    .join('; ');
}
