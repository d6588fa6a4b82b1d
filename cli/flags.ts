import { existsSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import type { z } from 'zod';
import { absolutePath, appName, contactEmail, domain, fingerprint, hostname, nginxSize, resolver, targetName, unixUser } from './deploy-config/schema';
import { UsageError } from './errors';
import { projectRoot } from './project-root';
import { redactUrl } from './redact';
import { parseTimeOfDay } from './services/scheduled-job';

/**
 * A check of one flag value: undefined when the value is fine, else what is wrong with it. Shared with the
 * prompts that ask for the same value, so a flag and an answer obey one rule.
 */
export type ValueCheck = (value: string) => string | undefined | Promise<string | undefined>;

/** A check from a zod validator of nexus.yml's schema: the flag and the file accept the same values. */
export const fromSchema =
  (schema: z.ZodType<string>): ValueCheck =>
  (value) => {
    const parsed = schema.safeParse(value);
    return parsed.success ? undefined : parsed.error.issues[0]?.message;
  };

export const HOST_KEY_HINT = 'on the host, `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it';

/** Every kind of value a flag of nexus can take besides free text, each with its check. */
export const checks = {
  url: (value: string) => {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    return url && ['http:', 'https:'].includes(url.protocol) ? undefined : 'expected an http(s) URL such as https://shop.example.com';
  },
  postgresUrl: (value: string) => (/^postgres(ql)?:\/\/./.test(value) && URL.canParse(value) ? undefined : 'expected a PostgreSQL URL such as postgres://user:pass@host:5432/db'),
  target: fromSchema(targetName),
  appName: fromSchema(appName),
  host: fromSchema(hostname),
  hostKey: (value: string) => (fromSchema(fingerprint)(value) ? `expected a SHA256 fingerprint such as SHA256:7RCj… (${HOST_KEY_HINT})` : undefined),
  domain: fromSchema(domain),
  unixUser: fromSchema(unixUser),
  nginxSize: fromSchema(nginxSize),
  resolver: fromSchema(resolver),
  ipAddress: (value: string) => (isIP(value) ? undefined : 'expected an IPv4 or IPv6 address'),
  timeOfDay: (value: string) => (parseTimeOfDay(value) ? undefined : 'expected a time of day as HH:MM (00:00 to 23:59)'),
  /** What Docker's --since takes: a duration (10m, 1h30m), a date or time (RFC 3339), or a Unix timestamp. */
  since: (value: string) => (/^[0-9][0-9A-Za-z:.+-]*$/.test(value) ? undefined : 'expected a duration such as 10m or 1h30m, or a time such as 2026-11-25T10:00:00'),
  sqlIdentifier: (value: string) => (/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(value) ? undefined : 'expected a schema name (letters, digits, _ and $)'),
  // The users module is loaded only when an email or username is checked: it costs every other command 0.25 s.
  email: async (value: string) => (await import('../api/modules/users/index.js')).staffAccountProblems({ email: value, username: 'placeholder' }).email?.join(' '),
  contactEmail: fromSchema(contactEmail),
  /** A path on the hosts (nexus.yml's root and the like). */
  hostPath: fromSchema(absolutePath),
  username: async (value: string) => (await import('../api/modules/users/index.js')).staffAccountProblems({ email: 'placeholder@example.com', username: value }).username?.join(' '),
  existingDirectory: (value: string) => (existsSync(value) && statSync(value).isDirectory() ? undefined : 'no such directory'),
  existingFile: (value: string) => (existsSync(value) && statSync(value).isFile() ? undefined : 'no such file'),
  /** A file to write: its directory must exist (nexus does not create directories on a guess). */
  newFile: (value: string) => (existsSync(dirname(resolve(value))) ? undefined : `no such directory: ${dirname(resolve(value))}`),
} satisfies Record<string, ValueCheck>;

export type ValueKind = keyof typeof checks;

/** How `--help` shows each kind's value. */
const HELP_VALUES: Record<ValueKind, string> = {
  url: '<url>',
  postgresUrl: 'postgres://…',
  target: '<target>',
  appName: '<name>',
  host: '<address>',
  hostKey: 'SHA256:…',
  domain: '<domain>',
  unixUser: '<user>',
  nginxSize: '<size>',
  resolver: '<ip[:port]>',
  ipAddress: '<ip>',
  timeOfDay: 'HH:MM',
  since: '<duration|time>',
  sqlIdentifier: '<schema>',
  email: '<email>',
  username: '<username>',
  contactEmail: '<email>',
  hostPath: '<path>',
  existingDirectory: '<dir>',
  existingFile: '<file>',
  newFile: '<file>',
};

/** The value as an error message may quote it: a URL's password never is, nor a string that may hide one. */
function quoted(kind: ValueKind, value: string): string | undefined {
  if (kind !== 'postgresUrl' && kind !== 'url') return value;
  return URL.canParse(value) ? redactUrl(value) : undefined;
}

/**
 * A string flag whose value is checked while the command line is parsed, so a bad value is a usage error
 * (exit 2) that names the flag, before anything runs.
 */
export const checked = (kind: ValueKind) =>
  Flags.custom<string>({
    helpValue: HELP_VALUES[kind],
    parse: async (input) => {
      const problem = await checks[kind](input);
      const shown = quoted(kind, input);
      const text = problem?.replace(/\.$/, '');
      if (text) throw new UsageError(shown === undefined ? `${text}.` : `${text}; not "${shown}".`);
      return input;
    },
  });

/** Flags shared by several commands, defined once so their names and help stay consistent. */
export const sharedFlags = {
  databaseUrl: checked('postgresUrl')({
    description: 'PostgreSQL URL. Default: $DATABASE_URL, else the database of a `nexus dev` running in this project.',
  }),
  /** The project: found from the current directory upward, as git finds .git (computed per run, never cached in the manifest). */
  projectDir: checked('existingDirectory')({
    description: 'Directory holding nexus.yml and .nexus/secrets. Default: the project root, the nearest directory upward from here that holds nexus.yml or .nexus/.',
    default: async () => projectRoot(),
    noCacheDefault: true,
  }),
  yes: Flags.boolean({
    char: 'y',
    description: 'Confirm without prompting (required when not at a terminal).',
  }),
};
