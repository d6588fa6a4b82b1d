import type { Knex } from 'knex';
import { ValidationError } from '../../errors';
import { parseInput } from '../../http/validate';
import { normalizeEmail } from './account-service';
import { hashPassword, passwordProblems } from './passwords';
import { DuplicateUserError, UserRepository } from './repository';
import { registerBody } from './schemas';

export interface StaffAccountInput {
  email: string;
  username?: string;
  /** Required unless promoting an existing account. */
  password?: string;
  promote?: boolean;
  /** False creates an ordinary customer with the same checks (used for the `nexus dev` demo customer). */
  staff?: boolean;
}

export interface StaffAccount {
  id: number;
  email: string;
  username: string;
  promoted: boolean;
}

export class AccountExistsError extends Error {
  constructor(readonly field: 'email' | 'username') {
    super(`an account with this ${field} already exists`);
  }
}

export class AccountNotFoundError extends Error {
  constructor(readonly email: string) {
    super(`no account with the email ${email}`);
  }
}

const fields = registerBody.pick({ email: true, username: true });

/**
 * What is wrong with a staff account's email and username (by default the email's local part) under
 * registration's rules, field by field; empty when nothing. The same check createStaffAccount makes, for a
 * prompt or a flag to run on each answer before anything is written.
 */
export function staffAccountProblems(input: { email: string; username?: string }): Record<string, string[]> {
  try {
    parseInput(fields, { email: input.email, username: input.username ?? input.email.split('@')[0] });
    return {};
  } catch (error) {
    if (error instanceof ValidationError) return Object.fromEntries(Object.entries(error.fields ?? {}).filter((entry): entry is [string, string[]] => Array.isArray(entry[1])));
    throw error;
  }
}

/**
 * Creates a staff account (or promotes an existing one) under the same rules as registration: valid
 * email and username, and a password that passes the password policy. Used by `nexus users create-admin`.
 * @throws {ValidationError} invalid email, username or weak password
 * @throws {AccountExistsError} when creating and the email or username is taken
 * @throws {AccountNotFoundError} when promoting an unknown email
 */
export async function createStaffAccount(db: Knex, input: StaffAccountInput): Promise<StaffAccount> {
  const users = new UserRepository(db);
  if (input.promote) {
    const existing = await users.findByEmail(input.email);
    if (!existing) throw new AccountNotFoundError(input.email);
    await users.setStaff(existing.id, true, true);
    return { id: existing.id, email: existing.email, username: existing.username, promoted: true };
  }
  const parsed = parseInput(fields, { email: input.email, username: input.username ?? input.email.split('@')[0] });
  const email = normalizeEmail(parsed.email);
  const problems = passwordProblems(input.password ?? '', { email, username: parsed.username });
  if (problems.length > 0) throw new ValidationError({ password: problems });
  try {
    const user = await users.create({
      email,
      username: parsed.username,
      first_name: '',
      last_name: '',
      password_hash: await hashPassword(input.password as string),
      is_staff: input.staff ?? true,
      is_superuser: input.staff ?? true,
    });
    return { id: user.id, email: user.email, username: user.username, promoted: false };
  } catch (error) {
    if (error instanceof DuplicateUserError) throw new AccountExistsError(error.field);
    throw error;
  }
}
