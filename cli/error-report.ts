import { ConfigError } from '../api/config';
import { NexusError } from './errors';
import { ExitCode } from './exit-codes';

/** What every failure becomes: the `--json` error document, and the lines printed at a terminal. */
export interface ErrorReport {
  code: string;
  message: string;
  exitCode: number;
  suggestions: string[];
  details?: unknown;
}

const SEE_HELP = /\nSee more help with --help$/;

/**
 * oclif's parse errors as one readable message: `Parsing --port \n\tExpected an integer…\nSee more help with
 * --help` becomes `--port: Expected an integer…`; the "run the command with --help" suggestion says the rest.
 */
function usageMessage(message: string): string {
  const text = message.replace(SEE_HELP, '');
  const flag = /^Parsing (--[\w-]+) \n\t([\s\S]*)$/.exec(text);
  if (flag) return `${flag[1]}: ${flag[2]}`;
  return text.replace(/^The following errors? occurred:\n\s*/, '').replace(/\n\s+/g, '; ');
}

/** inquirer rejects with ExitPromptError on Ctrl-C (or when the terminal goes away) at a prompt. */
const isPromptExit = (error: unknown) => error instanceof Error && error.name === 'ExitPromptError';

/** One mapping from any error to its code and exit code. UNEXPECTED means a bug: anything else is expected. */
export function errorReport(error: unknown): ErrorReport {
  if (error instanceof NexusError) {
    const message = error.exitCode === ExitCode.USAGE ? usageMessage(error.message) : error.message;
    const report: ErrorReport = { code: error.code, message, exitCode: error.exitCode, suggestions: error.suggestions };
    return error.details === undefined ? report : { ...report, details: error.details };
  }
  if (error instanceof ConfigError) {
    return { code: 'CONFIG', message: error.message, exitCode: ExitCode.CONFIG, suggestions: ['see docs/configuration.md'] };
  }
  if (isPromptExit(error)) {
    return { code: 'INTERRUPTED', message: 'Interrupted at the prompt; nothing was changed.', exitCode: ExitCode.INTERRUPTED, suggestions: [] };
  }
  const oclifExit = (error as { oclif?: { exit?: number } }).oclif?.exit;
  const message = error instanceof Error ? error.message : String(error);
  if (oclifExit === ExitCode.USAGE) return { code: 'USAGE', message: usageMessage(message), exitCode: ExitCode.USAGE, suggestions: ['run the command with --help'] };
  return { code: 'UNEXPECTED', message, exitCode: ExitCode.FAILURE, suggestions: [] };
}

/** The lines a terminal gets on stderr: `Error (<CODE>): <message>`, then `  → <next step>` lines. */
export function errorLines(report: ErrorReport): string[] {
  return [`Error (${report.code}): ${report.message}`, ...report.suggestions.map((suggestion) => `  → ${suggestion}`)];
}

/** The one document `--json` prints on stdout when a command fails. */
export function errorJson(report: ErrorReport): string {
  return JSON.stringify({ error: report }, null, 2);
}
