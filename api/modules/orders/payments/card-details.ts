import { z } from 'zod';

/**
 * Card details in a payment body: checked before anything is charged, never stored or logged. Old clients
 * send them inside `payment_details` or flat at the top level of the body; both forms are read, and each
 * field is checked wherever it was sent. A body may carry no card details at all (old clients did so for
 * card methods too): only what is sent is checked.
 */

export const INVALID_CARD_NUMBER = 'Enter a valid card number.';
export const INVALID_CVV = 'Enter a valid CVV (3 or 4 digits).';
export const CARD_EXPIRED = 'This card has expired.';
const NOT_AN_INTEGER = 'A valid integer is required.';

/**
 * The Luhn (mod 10) check that every issued card number passes: it catches mistyped and made-up numbers.
 * Hand-written (a few lines of a fixed algorithm) because the card libraries also judge by card brand and
 * read the system clock, which this API must inject.
 */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

const cardNumber = z
  .string()
  .min(1)
  .transform((value) => value.replace(/[\s-]/g, ''))
  .pipe(z.string().refine((digits) => /^\d{12,19}$/.test(digits) && passesLuhn(digits), { message: INVALID_CARD_NUMBER }));

/** An integer sent as a JSON number or as a string of digits (form bodies have only strings). */
function wholeNumber(digits: RegExp) {
  return z
    .union([z.int(), z.string().regex(digits, { message: NOT_AN_INTEGER })], {
      error: (issue) => (issue.input === null ? 'This field may not be null.' : NOT_AN_INTEGER),
    })
    .transform(Number);
}

const expiryMonth = wholeNumber(/^\d{1,2}$/).pipe(z.number().min(1).max(12));
// "28" means 2028, as printed on cards.
const expiryYear = wholeNumber(/^(\d{2}|\d{4})$/)
  .transform((year) => (year < 100 ? 2000 + year : year))
  .pipe(z.number().min(2000).max(2099));

// A JSON number is taken as its digits (DRF's CharField did the same); a leading zero is then lost, and refused.
const cvv = z
  .union([z.string(), z.int()], { error: (issue) => (issue.input === null ? 'This field may not be null.' : 'Not a valid string.') })
  .transform(String)
  .pipe(z.string().min(1, { abort: true }).regex(/^\d{3,4}$/, { message: INVALID_CVV }));

/** The card fields, as `payment_details` holds them and as old clients also sent them at the top level. */
export const cardFields = {
  card_number: cardNumber.optional().meta({ description: '12 to 19 digits (spaces and dashes allowed) passing the Luhn check.' }),
  expiry_month: expiryMonth.optional().meta({ description: '1 to 12, as a number or a string ("01").' }),
  expiry_year: expiryYear.optional().meta({ description: 'Four digits, or two ("28" is 2028). With expiry_month; a past month is refused.' }),
  cvv: cvv.optional().meta({ description: '3 or 4 digits.' }),
};

type CardFieldValues = { card_number?: string; expiry_month?: number; expiry_year?: number; cvv?: string };
const FIELD_NAMES = Object.keys(cardFields) as (keyof CardFieldValues)[];

/** A payment body's card, merged from both forms, with where it was sent (for error messages). */
export interface CardInBody {
  card: CardFieldValues;
  /** `['payment_details']` when the details were nested, `[]` when flat. */
  path: string[];
}

export function cardInBody(body: CardFieldValues & { payment_details?: CardFieldValues }): CardInBody | undefined {
  const nested = body.payment_details ?? {};
  const card: CardFieldValues = {};
  for (const name of FIELD_NAMES) {
    const value = nested[name] ?? body[name];
    if (value !== undefined) Object.assign(card, { [name]: value });
  }
  if (Object.keys(card).length === 0) return undefined;
  return { card, path: FIELD_NAMES.some((name) => nested[name] !== undefined) ? ['payment_details'] : [] };
}

/**
 * The checks that need several fields (run once every field is valid on its own): a card number with any
 * other card detail, both parts of the expiry date, and no field sent twice with different values.
 */
export function checkCardFields(body: CardFieldValues & { payment_details?: CardFieldValues }, ctx: z.RefinementCtx): void {
  for (const name of FIELD_NAMES) {
    const nested = body.payment_details?.[name];
    if (nested !== undefined && body[name] !== undefined && nested !== body[name]) {
      ctx.addIssue({ code: 'custom', path: ['payment_details', name], message: 'Differs from the top-level field of the same name: send it once.' });
    }
  }
  const found = cardInBody(body);
  if (!found) return;
  const { card, path } = found;
  const required = (name: keyof CardFieldValues) => ctx.addIssue({ code: 'custom', path: [...path, name], message: 'This field is required.' });
  if (card.card_number === undefined) required('card_number');
  if (card.expiry_month === undefined && card.expiry_year !== undefined) required('expiry_month');
  if (card.expiry_year === undefined && card.expiry_month !== undefined) required('expiry_year');
}

/** A card is valid through the last day of its expiry month (UTC). */
export function hasExpired(card: CardFieldValues, now: Date): boolean {
  if (card.expiry_month === undefined || card.expiry_year === undefined) return false;
  const current = now.getUTCFullYear() * 12 + now.getUTCMonth();
  return card.expiry_year * 12 + (card.expiry_month - 1) < current;
}
