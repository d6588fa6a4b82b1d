import { z } from 'zod';

/**
 * Field builders with DRF's semantics, so request validation matches what clients of the old backend
 * send: strings are trimmed, blanks refused unless allowed, and form-encoded "true"/"1" count as booleans.
 */

export function requiredText(maxLength: number) {
  return z.string().trim().min(1).max(maxLength);
}

export function optionalText(maxLength: number) {
  return z.string().trim().max(maxLength).optional();
}

export function email() {
  return z.string().trim().min(1).max(254).pipe(z.email()).meta({ format: 'email' });
}

export function password(maxLength = 128) {
  return z.string().min(1).max(maxLength).meta({ format: 'password' });
}

const TRUE_STRINGS = ['true', 'True', '1', 'yes', 'on'];
const FALSE_STRINGS = ['false', 'False', '0', 'no', 'off'];

export function boolean() {
  return z.union([
    z.boolean(),
    z.enum([...TRUE_STRINGS, ...FALSE_STRINGS] as [string, ...string[]]).transform((value) => TRUE_STRINGS.includes(value)),
  ], { error: 'Must be a valid boolean.' });
}

/** A positive integer id in a path, e.g. `/addresses/:id/`. */
export const idParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export const messageSchema = z.object({ message: z.string() }).meta({ id: 'Message' });
