import { z } from 'zod';

/**
 * Field builders with DRF's semantics, so request validation matches what clients of the old backend
 * send: strings are trimmed, blanks refused unless allowed, and form-encoded "true"/"1" count as booleans.
 */

/**
 * DRF's CharField takes numbers too (`"postal_code": 12345` is "12345"); booleans and objects are refused, and
 * so are NUL characters (DRF's ProhibitNullCharactersValidator), which PostgreSQL cannot store in text.
 */
function text() {
  return z.preprocess(
    (value) => (typeof value === 'number' && Number.isFinite(value) ? String(value) : value),
    z
      .string()
      .trim()
      .refine((value) => !value.includes('\u0000'), 'Null characters are not allowed.'),
  );
}

/** @param refine extra checks on the trimmed string, e.g. a pattern */
// The piped schema's limits are invisible to the OpenAPI generator, hence the explicit metadata.
/** @param refine extra checks on the trimmed string, e.g. a pattern */
export function requiredText(maxLength: number, refine: (value: z.ZodString) => z.ZodString = (value) => value) {
  return text().pipe(refine(z.string().min(1).max(maxLength))).meta({ type: 'string', minLength: 1, maxLength });
}

export function optionalText(maxLength: number) {
  return text().pipe(z.string().max(maxLength)).meta({ type: 'string', maxLength }).optional();
}

export function email() {
  return z.string().trim().min(1).max(254).pipe(z.email()).meta({ format: 'email' });
}

export function password(maxLength = 128) {
  return z.string().min(1).max(maxLength).meta({ format: 'password' });
}

// DRF BooleanField's TRUE_VALUES and FALSE_VALUES.
const TRUE_VALUES = new Set<unknown>(['t', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', '1', 1, true]);
const FALSE_VALUES = new Set<unknown>(['f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '0', 0, false]);

export function boolean() {
  return z.preprocess(
    (value) => (TRUE_VALUES.has(value) ? true : FALSE_VALUES.has(value) ? false : value),
    z.boolean({ error: (issue) => (issue.input === undefined ? undefined : 'Must be a valid boolean.') }),
  );
}

/**
 * DRF's IntegerField: a JSON integer or a string of digits (form bodies). `null`, `""`, booleans and
 * fractions are refused with "A valid integer is required." rather than coerced.
 */
export function integer(typeMessage = 'A valid integer is required.') {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    z.number({ error: (issue) => (issue.input === undefined ? undefined : issue.input === null ? 'This field may not be null.' : typeMessage) }).int({ message: typeMessage }),
  );
}

/**
 * A positive integer id in a path, e.g. `/addresses/:id/`: digits only, as Django's `<int:pk>` matched, so
 * ` 1`, `1e0`, `0x10` and `1.0` name nothing (404) instead of being coerced to an id.
 */
export const idParam = z.object({
  id: z.preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value), z.number().int().positive().max(Number.MAX_SAFE_INTEGER)),
});

export const messageSchema = z.object({ message: z.string() }).meta({ id: 'Message' });
