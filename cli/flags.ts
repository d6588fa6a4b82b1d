import { Flags } from '@oclif/core';

/** Flags shared by several commands, defined once so their names and help stay consistent. */
export const sharedFlags = {
  databaseUrl: Flags.string({
    description: 'PostgreSQL URL. Default: $DATABASE_URL, else the database of a `nexus dev` running in this directory.',
    helpValue: 'postgres://…',
  }),
  yes: Flags.boolean({
    char: 'y',
    description: 'Confirm without prompting (required when not at a terminal).',
  }),
};
