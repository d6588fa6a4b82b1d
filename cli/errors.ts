import { ExitCode, type ExitCodeValue } from './exit-codes';

export interface NexusErrorOptions {
  /** Stable machine-readable identifier, part of the `--json` contract. */
  code: string;
  exitCode?: ExitCodeValue;
  /** Next commands or actions to try, printed under the message. */
  suggestions?: string[];
  /** Structured detail for `--json` (e.g. the failed health report). */
  details?: unknown;
  cause?: unknown;
}

/** An expected failure: printed as one line with suggestions, never with a stack trace. */
export class NexusError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly suggestions: string[];
  readonly details?: unknown;

  constructor(message: string, options: NexusErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.exitCode = options.exitCode ?? ExitCode.FAILURE;
    this.suggestions = options.suggestions ?? [];
    this.details = options.details;
  }
}

/** A required value is missing or invalid; names the flag that provides it. */
export class UsageError extends NexusError {
  constructor(message: string, suggestions: string[] = []) {
    super(message, { code: 'USAGE', exitCode: ExitCode.USAGE, suggestions });
  }
}

export class RefusedError extends NexusError {
  constructor(message: string, suggestions: string[] = []) {
    super(message, { code: 'REFUSED', exitCode: ExitCode.REFUSED, suggestions });
  }
}

/** Ctrl-C (SIGINT) ended the command: exit 130, as shells report a process ended by SIGINT. */
export class InterruptedError extends NexusError {
  constructor(message: string, details?: unknown) {
    super(message, { code: 'INTERRUPTED', exitCode: ExitCode.INTERRUPTED, details });
  }
}
