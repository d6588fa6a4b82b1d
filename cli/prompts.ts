import type { ValueCheck } from './flags';

/**
 * The questions nexus asks at a terminal. Each answer is checked as it is entered, with the same check as
 * the flag that could have given it: a bad answer shows why under the prompt and the question stays open
 * (the answer kept for editing), so nothing is asked twice and nothing fails after the last question.
 * Prompts write to stderr; stdout stays for the result. Ctrl-C rejects with inquirer's ExitPromptError,
 * which becomes exit 130 (cli/error-report.ts).
 */

/** An inquirer `validate`: true, or the message shown under the answer. */
const validator = (check: (value: string) => ReturnType<ValueCheck>) => async (value: string) => (await check(value.trim())) ?? true;

export async function askText(message: string, check?: ValueCheck): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  const answer = await input({ message, required: true, validate: check && validator(check) }, { output: process.stderr });
  return answer.trim();
}

/** One of a few words (e.g. `smtp` or `disabled`), typed: the same answer a flag with these options takes. */
export async function askChoice(message: string, options: readonly string[]): Promise<string> {
  return askText(`${message} (${options.join(', ')})`, (value) => (options.includes(value) ? undefined : `expected one of: ${options.join(', ')}`));
}

/** A comma-separated list, each item checked; `count` (when given) is how many items must be listed. */
export async function askList(message: string, check: ValueCheck, count?: number): Promise<string[]> {
  const split = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);
  const checkAll = async (value: string) => {
    const items = split(value);
    if (count !== undefined && items.length !== count) return `list ${count} item${count === 1 ? '' : 's'}, comma-separated (${items.length} given)`;
    for (const item of items) {
      const problem = await check(item);
      if (problem) return `${item}: ${problem}`;
    }
    return undefined;
  };
  return split(await askText(message, checkAll));
}

/**
 * A new password, masked, checked against the password rules as it is entered, then asked again; a second
 * answer that differs keeps the second question open.
 */
export async function askNewPassword(problems: (password: string) => Promise<string[]> | string[]): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  const first = await password(
    { message: 'Password', mask: '*', validate: async (value) => (await problems(value)).join(' ') || true },
    { output: process.stderr },
  );
  await password({ message: 'Password (again)', mask: '*', validate: (value) => value === first || 'The passwords differ: type the same password again.' }, { output: process.stderr });
  return first;
}

