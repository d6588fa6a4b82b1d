import type { Knex } from 'knex';
import { AppError } from '../../api/errors';
import { AccountExistsError, AccountNotFoundError, createStaffAccount as create, passwordProblems, staffAccountProblems, type StaffAccount, type StaffAccountInput } from '../../api/modules/users';
import { NexusError, UsageError } from '../errors';
import { ExitCode } from '../exit-codes';

function flatten(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([field]) => field !== 'code')
    .map(([field, messages]) => `${field}: ${([] as unknown[]).concat(messages).join(' ')}`)
    .join('; ');
}

/** The users module's staff-account rules, with their failures turned into CLI errors and exit codes. */
export async function createStaffAccount(db: Knex, input: StaffAccountInput): Promise<StaffAccount> {
  try {
    return await create(db, input);
  } catch (error) {
    if (error instanceof AccountExistsError) {
      throw new NexusError(`An account with this ${error.field} already exists.`, {
        code: 'ACCOUNT_EXISTS',
        exitCode: ExitCode.CONFLICT,
        suggestions: ['to make it staff, re-run with --promote'],
      });
    }
    if (error instanceof AccountNotFoundError) {
      throw new NexusError(`No account has the email ${error.email}.`, { code: 'ACCOUNT_NOT_FOUND', suggestions: ['drop --promote to create it'] });
    }
    if (error instanceof AppError && error.fields) throw new UsageError(flatten(error.toBody()));
    throw error;
  }
}

/**
 * What is wrong with an email for a new staff account, including the username derived from it when none
 * was given (the same checks createStaffAccount makes): for a prompt to show before anything is written.
 */
export function staffEmailProblem(email: string, options: { username?: string; promote?: boolean } = {}): string | undefined {
  const { username } = options;
  const problems = staffAccountProblems({ email, username });
  if (problems.email) return problems.email.join(' ');
  // Promoting uses the existing account's username.
  if (problems.username && !options.promote) return `${problems.username.join(' ')} (the username ${username === undefined ? `"${email.split('@')[0]}", from the email` : `"${username}"`}; pass --username)`;
  return undefined;
}

/** The password rules for that account (too short, too common, too similar to its email or username…). */
export function staffPasswordProblems(password: string, email: string, username?: string): string[] {
  return passwordProblems(password, { email, username: username ?? email.split('@')[0] });
}
