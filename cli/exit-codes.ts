/**
 * Every exit code nexus uses, in one table (documented in docs/cli.md). CI scripts branch on these, so a
 * code never changes meaning once released.
 */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** The operation failed (the message says why). */
  FAILURE: 1,
  /** Bad usage: unknown flag, invalid value, or a required value missing in non-interactive mode. */
  USAGE: 2,
  /** The configuration (environment, nexus.yml) is invalid. */
  CONFIG: 3,
  /** The database could not be reached. */
  DATABASE_UNAVAILABLE: 4,
  /** Refused by a safety rule, e.g. demo data or a reset against production. */
  REFUSED: 5,
  /** The thing to create already exists. */
  CONFLICT: 6,
  /** The host could not be reached over SSH, or refused our key. */
  REMOTE_UNREACHABLE: 7,
  /** The host's SSH key does not match the pinned fingerprint: possibly not the host you think. */
  HOST_KEY_MISMATCH: 8,
  /** A remote lock is held by someone else. */
  LOCK_HELD: 10,
  /** The deployed application did not become healthy, or a check of it (health, lb status, status) found something wrong. */
  HEALTH_CHECK_FAILED: 11,
  /** DNS records are not (yet) visible everywhere. */
  DNS_NOT_PROPAGATED: 12,
  /** DNS records point somewhere else. */
  DNS_WRONG: 13,
  /** Interrupted (Ctrl-C) at a prompt or while watching: 128 + SIGINT, as shells report it. */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
