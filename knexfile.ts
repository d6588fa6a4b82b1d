import { migratorConfig } from './db/migration-source';

// For the knex CLI and editors only: nexus itself migrates through `nexus db migrate`, which builds the
// same configuration from DATABASE_URL.
const config = {
  client: 'pg',
  connection: process.env.DATABASE_URL,
  migrations: migratorConfig(),
};

export default config;
