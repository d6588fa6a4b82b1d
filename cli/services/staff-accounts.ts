import type { Knex } from 'knex';
import { AppError } from '../../api/errors';
import { AccountExistsError, AccountNotFoundError, createStaffAccount as create, type StaffAccount, type StaffAccountInput } from '../../api/modules/users';
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
