import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { ConfigError } from '../api/config';
import { NexusError, UsageError } from './errors';
import { ExitCode } from './exit-codes';

export interface ErrorReport {
  code: string;
  message: string;
  exitCode: number;
  suggestions: string[];
  details?: unknown;
}

function report(error: unknown): ErrorReport {
  if (error instanceof NexusError) {
    const report: ErrorReport = { code: error.code, message: error.message, exitCode: error.exitCode, suggestions: error.suggestions };
    return error.details === undefined ? report : { ...report, details: error.details };
  }
  if (error instanceof ConfigError) {
    return { code: 'CONFIG', message: error.message, exitCode: ExitCode.CONFIG, suggestions: ['see docs/configuration.md'] };
  }
  const oclifExit = (error as { oclif?: { exit?: number } }).oclif?.exit;
  const message = error instanceof Error ? error.message : String(error);
  if (oclifExit === ExitCode.USAGE) return { code: 'USAGE', message, exitCode: ExitCode.USAGE, suggestions: ['run the command with --help'] };
  return { code: 'UNEXPECTED', message, exitCode: ExitCode.FAILURE, suggestions: [] };
}

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
    const details = report(error);
    if (this.jsonEnabled()) {
      this.logJson({ error: details });
    } else {
      this.logToStderr(`Error (${details.code}): ${details.message}`);
      for (const suggestion of details.suggestions) this.logToStderr(`  → ${suggestion}`);
      if (this.argv.includes('--verbose') && error instanceof Error && error.stack) this.logToStderr(error.stack);
    }
    throw new Errors.ExitError(details.exitCode);
  }
}
