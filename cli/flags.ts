import { Flags } from '@oclif/core';
import { projectRoot } from './project-root';

/** Flags shared by several commands, defined once so their names and help stay consistent. */
export const sharedFlags = {
  databaseUrl: Flags.string({
    description: 'PostgreSQL URL. Default: $DATABASE_URL, else the database of a `nexus dev` running in this project.',
    helpValue: 'postgres://…',
  }),
  /** The project: found from the current directory upward, as git finds .git (computed per run, never cached in the manifest). */
  projectDir: Flags.string({
    description: 'Directory holding nexus.yml and .nexus/secrets. Default: the project root, the nearest directory upward from here that holds nexus.yml or .nexus/.',
    default: async () => projectRoot(),
    noCacheDefault: true,
  }),
  yes: Flags.boolean({
    char: 'y',
    description: 'Confirm without prompting (required when not at a terminal).',
  }),
};
