import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { errorLines, errorReport } from './error-report';
import { NexusError, UsageError } from './errors';

/**
 * Base of every nexus command: `--json` (exactly one JSON document on stdout, progress on stderr),
 * non-interactive detection, and one mapping from errors to messages and exit codes.
 */
export abstract class NexusCommand<T> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    verbose: Flags.boolean({ description: 'Print stack traces and extra detail on errors.', helpGroup: 'GLOBAL' }),
  };

  abstract override run(): Promise<T>;

  /**
   * A prompt may be shown only at a terminal, outside CI, and when --yes was not given. CI jobs must
   * never hang on a question.
   */
  protected isInteractive(flags: { yes?: boolean } = {}): boolean {
    return Boolean(process.stdin.isTTY && process.stderr.isTTY && !process.env.CI && !flags.yes && !this.jsonEnabled());
  }

  /**
   * Asks the operator to type `expected` before destructive work. Without a terminal the only way through
   * is --yes, so a CI job fails fast with the flag to pass instead of hanging.
   */
  protected async confirmByTyping(flags: { yes?: boolean }, question: string, expected: string): Promise<void> {
    if (flags.yes) return;
    if (!this.isInteractive(flags)) throw new UsageError(`${question} Confirmation needed.`, ['pass --yes to confirm without a prompt']);
    const { input } = await import('@inquirer/prompts');
    const answer = await input({ message: `${question} Type "${expected}" to confirm:` }, { output: process.stderr });
    if (answer.trim() !== expected) throw new NexusError('Not confirmed; nothing was changed.', { code: 'NOT_CONFIRMED' });
  }

  /** Progress and notices go to stderr, also with --json, so that stdout stays machine-readable. */
  protected note(message: string): void {
    // Not this.logToStderr: oclif silences that under --json.
    process.stderr.write(`${message}\n`);
  }

  protected override async catch(error: Interfaces.CommandError): Promise<void> {
    const details = errorReport(error);
    if (this.jsonEnabled()) {
      this.logJson({ error: details });
    } else {
      for (const line of errorLines(details)) this.logToStderr(line);
      if (this.argv.includes('--verbose') && error instanceof Error && error.stack) this.logToStderr(error.stack);
    }
    throw new Errors.ExitError(details.exitCode);
  }
}
