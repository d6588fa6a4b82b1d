import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { hash, verify, Algorithm } from '@node-rs/argon2';
import type * as LanguageCommon from '@zxcvbn-ts/language-common';

// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

let commonPasswords: Set<string> | undefined;

/** The ~49k common passwords, loaded at the first password check rather than at start-up. */
function isCommonPassword(password: string): boolean {
  if (!commonPasswords) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dictionary } = require('@zxcvbn-ts/language-common') as typeof LanguageCommon;
    commonPasswords = new Set(dictionary['passwords-common'].map((word) => word.toLowerCase()));
  }
  return commonPasswords.has(password.toLowerCase());
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

const pbkdf2Async = promisify(pbkdf2);

/**
 * Django's default hash, `pbkdf2_sha256$<iterations>$<salt>$<base64 digest>`: accounts imported from the old
 * backend keep working and are re-hashed with argon2id at their next login.
 */
async function verifyDjangoPbkdf2(passwordHash: string, password: string): Promise<boolean> {
  const [, iterations, salt, expected] = passwordHash.split('$');
  if (!iterations || !/^\d+$/.test(iterations) || !salt || !expected) return false;
  const expectedBytes = Buffer.from(expected, 'base64');
  const actual = await pbkdf2Async(password, salt, Number(iterations), expectedBytes.length, 'sha256');
  return expectedBytes.length > 0 && timingSafeEqual(actual, expectedBytes);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    if (passwordHash.startsWith('pbkdf2_sha256$')) return await verifyDjangoPbkdf2(passwordHash, password);
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** True for hashes that should be replaced by an argon2id one at the next successful login. */
export function needsRehash(passwordHash: string): boolean {
  return !passwordHash.startsWith('$argon2id$');
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real verification when there is no account to check, so response times do
 * not reveal which emails are registered.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword('nexus-timing-equaliser');
  await verifyPassword(await dummyHash, password);
  return false;
}

/** 0..1, 1 = identical; Levenshtein distance normalised by the longer string. */
function similarity(a: string, b: string): number {
  if (a === b) return 1;
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j] as number;
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return 1 - (previous[b.length] as number) / Math.max(a.length, b.length);
}

export interface PasswordContext {
  email?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
}

const ATTRIBUTE_NAMES: Record<keyof PasswordContext, string> = {
  email: 'email address',
  username: 'username',
  first_name: 'first name',
  last_name: 'last name',
};

function tooSimilarTo(password: string, context: PasswordContext): string | undefined {
  const lower = password.toLowerCase();
  // Only the named attributes: callers may pass a whole user row, whose other columns are not strings.
  for (const attribute of Object.keys(ATTRIBUTE_NAMES) as (keyof PasswordContext)[]) {
    const value = context[attribute];
    // For an email only the local part is personal: a password containing "example" or "com" is fine.
    const own = (attribute === 'email' ? value?.split('@')[0] : value)?.toLowerCase();
    if (!own) continue;
    const parts = [own, ...own.split(/[\W_]+/)].filter((part) => part.length >= 4);
    if (parts.some((part) => lower.includes(part) || similarity(lower, part) >= 0.7)) return ATTRIBUTE_NAMES[attribute];
  }
  return undefined;
}

/**
 * The password rules, with Django's messages: minimum length, not a common password, not entirely
 * numeric, not too similar to the account's own attributes (which the old backend never checked).
 * @returns the messages for every rule broken; empty when the password is acceptable
 */
export function passwordProblems(password: string, context: PasswordContext = {}): string[] {
  const problems: string[] = [];
  const similarTo = tooSimilarTo(password, context);
  if (similarTo) problems.push(`The password is too similar to the ${similarTo}.`);
  if (password.length < PASSWORD_MIN_LENGTH) {
    problems.push(`This password is too short. It must contain at least ${PASSWORD_MIN_LENGTH} characters.`);
  }
  if (isCommonPassword(password)) problems.push('This password is too common.');
  if (/^\d+$/.test(password)) problems.push('This password is entirely numeric.');
  return problems;
}
