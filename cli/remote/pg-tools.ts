import type { DeployTarget } from '../deploy-config/load';
import { COMPOSE_FUNCTION } from './docker';
import { HostLayout, projectName } from './layout';
import { script, type RemoteCommand } from './shell';

/**
 * How the backup scripts (pg-backup.ts) run psql, pg_dump and pg_restore. The scripts are the same for every
 * database; only this differs:
 *
 * - `client`: the client tools installed where the script runs (this machine, or a target's host for an
 *   external database). pg_dump refuses a server newer than itself, so the prelude asks the server for its
 *   major version and takes the tools of that version, else the oldest newer ones, from `searchDirs` (e.g.
 *   the embedded PostgreSQL package), /usr/lib/postgresql/<N>/bin and PATH; without any, it fails with
 *   PG_CLIENT_TOO_OLD_STATUS naming the version needed.
 * - `service`: PostgreSQL run as the `postgres` service of the target's services compose project
 *   (`database: host`): the tools run inside that container (`compose exec -T postgres …`), so they are
 *   always the server's own version, and connect over its local socket as the service's user. Dumps leave
 *   and enter the container on stdout and stdin; no password is involved.
 */
export type PgTools = { kind: 'client'; searchDirs?: readonly string[] } | { kind: 'service'; dir: string; project: string; dockerHost?: string };

/** Exit status of a script that found no client tools new enough for the server (EX_UNAVAILABLE). */
export const PG_CLIENT_TOO_OLD_STATUS = 69;

/** Reads `PGHOST=…` lines from stdin into the environment until an empty line. */
const READ_CONNECTION = `set -u
while IFS= read -r line && [ -n "$line" ]; do case $line in PG*=*) export "$line";; esac; done
TAB=$(printf '\\t')`;

/**
 * `pick_client_tools WANT`: of the directories in $candidates (one a line), the one whose psql, pg_dump and
 * pg_restore are of major version WANT, else the one of the oldest newer version, into $chosen (empty when
 * none); the newest version found into $newest and $newest_major, for the message when none fits.
 */
export const PICK_CLIENT_TOOLS = `newline='
'
pick_client_tools() {
  chosen= chosen_major= newest= newest_major=
  set -f; saved_ifs=$IFS; IFS=$newline
  for tools_dir in $candidates; do
    [ -x "$tools_dir/psql" ] && [ -x "$tools_dir/pg_dump" ] && [ -x "$tools_dir/pg_restore" ] || continue
    have=$("$tools_dir/pg_dump" --version 2>/dev/null | sed -n 's/^[^0-9]*\\([0-9][0-9]*\\).*/\\1/p' | head -n 1)
    [ -n "$have" ] || continue
    if [ -z "$newest" ] || [ "$have" -gt "$newest_major" ]; then newest=$tools_dir newest_major=$have; fi
    if [ "$have" -eq "$1" ]; then chosen=$tools_dir chosen_major=$have; break; fi
    if [ "$have" -gt "$1" ] && { [ -z "$chosen" ] || [ "$have" -lt "$chosen_major" ]; }; then chosen=$tools_dir chosen_major=$have; fi
  done
  IFS=$saved_ifs; set +f
}`;

/**
 * Puts the client tools of the server's major version first in PATH (see PgTools): any psql asks the server
 * its version, then pick_client_tools chooses.
 */
const CLIENT_TOOLS = `${PICK_CLIENT_TOOLS}
candidates=$(
  [ -n "\${NEXUS_PG_SEARCH:-}" ] && printf '%s\\n' "$NEXUS_PG_SEARCH" | tr ':' '\\n'
  for tools_dir in /usr/lib/postgresql/*/bin; do [ -d "$tools_dir" ] && printf '%s\\n' "$tools_dir"; done
  found=$(command -v pg_dump 2>/dev/null) && dirname "$found"
)
asker=
set -f; saved_ifs=$IFS; IFS=$newline
for tools_dir in $candidates; do [ -x "$tools_dir/psql" ] && { asker=$tools_dir/psql; break; }; done
IFS=$saved_ifs; set +f
[ -n "$asker" ] || { echo "psql is not installed here (apt-get install postgresql-client)" >&2; exit 127; }
server=$("$asker" -X -At -c 'SHOW server_version_num') || exit 1
want=$((server / 10000))
pick_client_tools "$want"
if [ -z "$chosen" ]; then
  echo "The database server runs PostgreSQL $want; the newest client tools here are \${newest_major:-none} (\${newest:-no pg_dump found}), and pg_dump cannot dump a newer server." >&2
  echo "Install the PostgreSQL $want client tools (postgresql-client-$want; on Debian and Ubuntu from the PostgreSQL project's apt repository, apt.postgresql.org), or put a directory holding its psql, pg_dump and pg_restore first in PATH." >&2
  exit ${PG_CLIENT_TOO_OLD_STATUS}
fi
PATH=$chosen:$PATH; export PATH`;

/**
 * The tools as functions that run them in the services project's \`postgres\` container: as the service's
 * user over its local socket (PGUSER/PGDATABASE forwarded; nothing else from the connection, no password).
 */
const SERVICE_TOOLS = `${COMPOSE_FUNCTION}
in_service() {
  (cd "$NEXUS_PG_SERVICES" && compose -p "$NEXUS_PG_PROJECT" -f docker-compose.services.yml --env-file compose.env \\
    exec -T -e "PGUSER=\${PGUSER:-postgres}" -e "PGDATABASE=\${PGDATABASE:-postgres}" -e "PGAPPNAME=\${PGAPPNAME:-nexus-backup}" postgres "$@")
}
psql() { in_service psql "$@"; }
pg_dump() { in_service pg_dump "$@"; }
pg_restore() { in_service pg_restore "$@"; }`;

/**
 * A backup script that uses the PostgreSQL tools: the prelude (connection from stdin, then the tools) and
 * the body, wrapped in `env` with what the tools need (the service's compose project; the client search
 * path). Inputs stay positional parameters.
 */
export function pgScript(tools: PgTools, name: string, body: string, ...parameters: string[]): RemoteCommand {
  if (tools.kind === 'service') {
    const environment = [...(tools.dockerHost ? [`DOCKER_HOST=${tools.dockerHost}`] : []), `NEXUS_PG_SERVICES=${tools.dir}`, `NEXUS_PG_PROJECT=${tools.project}`];
    return ['env', ...environment, ...script(name, `${READ_CONNECTION}\n${SERVICE_TOOLS}\n${body}`, ...parameters)];
  }
  const command = script(name, `${READ_CONNECTION}\n${CLIENT_TOOLS}\n${body}`, ...parameters);
  return tools.searchDirs?.length ? ['env', `NEXUS_PG_SEARCH=${tools.searchDirs.join(':')}`, ...command] : command;
}

/** How a target's database is reached by the backup scripts on its first host. */
export function targetPgTools(deploy: DeployTarget): PgTools {
  if (deploy.target.database !== 'host') return { kind: 'client' };
  return { kind: 'service', dir: HostLayout.of(deploy.target).services, project: projectName(deploy.app.name, 'services'), ...(deploy.target.docker_host ? { dockerHost: deploy.target.docker_host } : {}) };
}
