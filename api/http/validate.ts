import type { z } from 'zod';
import { ValidationError, type FieldErrors } from '../errors';

type Issue = z.core.$ZodRawIssue;

/** Python type names, as DRF prints them in "Expected a dictionary, but got list." messages. */
function pythonType(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'object':
      return 'dict';
    default:
      return typeof value;
  }
}

function invalidTypeMessage(issue: Issue & { expected?: string }): string {
  if (issue.input === undefined) return 'This field is required.';
  if (issue.input === null) return 'This field may not be null.';
  switch (issue.expected) {
    case 'string':
      return 'Not a valid string.';
    case 'number':
    case 'int':
      return 'A valid number is required.';
    case 'boolean':
      return 'Must be a valid boolean.';
    case 'object':
      return `Invalid data. Expected a dictionary, but got ${pythonType(issue.input)}.`;
    case 'array':
      return `Expected a list of items but got type "${pythonType(issue.input)}".`;
    default:
      return 'Invalid value.';
  }
}

/** Translates a zod issue into the message DRF would have produced, so old clients see familiar text. */
export function drfMessage(issue: Issue): string | undefined {
  const details = issue as Issue & { expected?: string; origin?: string; minimum?: number; maximum?: number; inclusive?: boolean; format?: string };
  switch (issue.code) {
    case 'invalid_type':
      return invalidTypeMessage(details);
    case 'too_small':
      if (details.origin === 'string') {
        return details.minimum === 1 ? 'This field may not be blank.' : `Ensure this field has at least ${details.minimum} characters.`;
      }
      if (details.origin === 'array') return details.minimum === 1 ? 'This list may not be empty.' : `Ensure this field has at least ${details.minimum} elements.`;
      // positive() is an exclusive minimum of 0: "greater than or equal to 0" would be false for 0.
      if (details.inclusive === false) return `Ensure this value is greater than ${details.minimum}.`;
      return `Ensure this value is greater than or equal to ${details.minimum}.`;
    case 'too_big':
      if (details.origin === 'string') return `Ensure this field has no more than ${details.maximum} characters.`;
      if (details.origin === 'array') return `Ensure this field has no more than ${details.maximum} elements.`;
      return `Ensure this value is less than or equal to ${details.maximum}.`;
    case 'invalid_format':
      return details.format === 'email' ? 'Enter a valid email address.' : 'Enter a valid value.';
    case 'invalid_value':
      return `"${String(issue.input)}" is not a valid choice.`;
    case 'unrecognized_keys':
      return 'Unknown field.';
    default:
      return undefined;
  }
}

function addMessage(errors: FieldErrors, path: PropertyKey[], message: string): void {
  const [head, ...rest] = path.length > 0 ? path : ['non_field_errors'];
  const key = String(head);
  if (rest.length === 0) {
    const existing = errors[key];
    if (Array.isArray(existing)) existing.push(message);
    else if (!existing) errors[key] = [message];
    return;
  }
  const nested = errors[key];
  const child: FieldErrors = nested && !Array.isArray(nested) ? nested : {};
  errors[key] = child;
  addMessage(child, rest, message);
}

/** Turns zod issues into a DRF field map: `{"email": ["..."], "items": {"0": {"quantity": ["..."]}}}`. */
export function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  // zod still runs length checks on a value of the wrong type (`[]` for a string adds "This list may not be
  // empty."); DRF reported only the type, so the rest of that field's issues are dropped.
  const wrongType = new Set<string>();
  for (const issue of issues) {
    const key = JSON.stringify(issue.path.map(String));
    if (wrongType.has(key)) continue;
    if (issue.code === 'invalid_type') wrongType.add(key);
    addMessage(errors, issue.path, issue.message);
  }
  return errors;
}

/**
 * Validates untrusted input against a schema.
 * @returns the parsed (and transformed) value
 * @throws {ValidationError} a 400 with a DRF-shaped field map
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { error: drfMessage });
  if (result.success) return result.data;
  throw new ValidationError(toFieldErrors(result.error.issues));
}
