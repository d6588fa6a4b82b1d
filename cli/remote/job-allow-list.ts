import type { RemoteCommand } from './shell';

/**
 * The calls a scheduled job's key may make, as its gate (job-gate.ts) reads them: one line per allowed
 * command, one rule per argument. A call is allowed when some line's rules fit its arguments exactly:
 *
 *   =<word>       the argument is exactly this (the word is the argument as the gate receives it)
 *   ~<regex>      the argument matches this POSIX extended regex whole, on one line (base64 in the file)
 *   *~<regex>     every remaining argument, none or more, matches it (lists such as backup ids)
 *
 * Lines are made from nexus's own builders called with placeholders where a value varies from run to run
 * (`{{token}}`, `{{hex}}`…), so the script bodies, the paths and every other argument are the very ones the
 * builders produce, and only the placeholders' parts may differ.
 */

/** What each placeholder may stand for: POSIX ERE, also valid as a JavaScript regex (no \d, no lookaround). */
export const PLACEHOLDERS = {
  /** An ACME http-01 token: base64url (RFC 8555 §8.3). */
  token: '[A-Za-z0-9_-]+',
  /** A random id in hex (the deploy lock's holder). */
  hex: '[0-9a-f]+',
  /** The inside of a JSON string without quotes or escapes (the lock's owner and reason). */
  text: '[^"\\\\]*',
  /** Any backup id (retention removes manual and scheduled ones). */
  backup: '[0-9]{8}T[0-9]{6}Z-(manual|scheduled|pre-migration)(-[A-Za-z0-9.-]+)?',
  /** The id of a backup the daily job makes. */
  scheduled: '[0-9]{8}T[0-9]{6}Z-scheduled',
  /** A scratch database a verification restores into and drops again, never the live one. */
  scratchDatabase: '.*_verify_[0-9]{14}_[0-9a-f]{4}',
} as const;

export type Placeholder = keyof typeof PLACEHOLDERS;

/** A placeholder to put in a builder's argument: `${slot('token')}`. */
export function slot(name: Placeholder): string {
  return `{{${name}}}`;
}

export type ArgumentRule = { exact: string } | { pattern: string } | { rest: string };

/** One allowed command: a rule per argument. */
export type AllowedCall = readonly ArgumentRule[];

const SLOT = /\{\{([A-Za-z]+)\}\}/g;
const HAS_SLOT = /\{\{[A-Za-z]+\}\}/;

function escapeRegex(text: string): string {
  return text.replace(/[.[\]()*+?{}|^$\\]/g, '\\$&');
}

function rule(argument: string): ArgumentRule {
  if (!HAS_SLOT.test(argument)) return { exact: argument };
  let pattern = '';
  let last = 0;
  for (const match of argument.matchAll(SLOT)) {
    const name = match[1] as string;
    if (!(name in PLACEHOLDERS)) throw new Error(`unknown placeholder {{${name}}} in an allowed call`);
    pattern += escapeRegex(argument.slice(last, match.index)) + `(${PLACEHOLDERS[name as Placeholder]})`;
    last = (match.index ?? 0) + match[0].length;
  }
  return { pattern: pattern + escapeRegex(argument.slice(last)) };
}

/**
 * A command a job may run, built by nexus's own builder with placeholders where values vary; `rest` allows
 * any number of further arguments of that kind (e.g. the ids of the backups retention removes).
 */
export function allowedCall(command: RemoteCommand, rest?: Placeholder): AllowedCall {
  return [...command.map(rule), ...(rest ? [{ rest: `(${PLACEHOLDERS[rest]})` }] : [])];
}

/** An argument as the job sends it and the gate receives it: `:` and its base64 (just `:` when empty). */
export function gateWord(argument: string): string {
  return `:${Buffer.from(argument, 'utf8').toString('base64')}`;
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The allow-list file the gate reads. */
export function allowListFile(calls: readonly AllowedCall[], header: string): string {
  const lines = calls.map((call) =>
    call.map((argument) => ('exact' in argument ? `=${gateWord(argument.exact)}` : 'pattern' in argument ? `~${base64(argument.pattern)}` : `*~${base64(argument.rest)}`)).join(' '),
  );
  return `${header
    .split('\n')
    .map((line) => `# ${line}`)
    .join('\n')}\n${[...new Set(lines)].join('\n')}\n`;
}

/** Whether a command fits an allowed call: the gate's rule, here for the tests and the builders' own checks. */
export function fits(command: RemoteCommand, call: AllowedCall): boolean {
  const whole = (pattern: string, value: string) => !value.includes('\n') && new RegExp(`^(${pattern})$`).test(value);
  let index = 0;
  for (const argument of call) {
    if ('rest' in argument) return command.slice(index).every((value) => whole(argument.rest, value));
    const value = command[index];
    if (value === undefined) return false;
    if ('exact' in argument ? value !== argument.exact : !whole(argument.pattern, value)) return false;
    index += 1;
  }
  return index === command.length;
}
