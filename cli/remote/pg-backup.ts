import { pgScript, type PgTools } from './pg-tools';
import { script, type RemoteCommand } from './shell';

/**
 * Builders for backups made and checked where the dump lives (this machine, or the target's first host):
 * pg_dump, pg_restore and psql, run as `tools` says (pg-tools.ts: the client tools matching the server, or
 * inside the on-host PostgreSQL service's container), with the connection in PG* variables read from stdin
 * (`connectionInput`), so that no password ever appears in a command line. Dumps go through stdout and
 * stdin, never a path the tools open themselves, so the same scripts work whichever way the tools run.
 *
 * Every script that reads the database prints its contents as tab-separated lines: `table <name> <rows>
 * <md5>` for each table and `migration <latest> <count>`, the facts a manifest records and a restore is
 * checked against. Rows are hashed as text under fixed settings (UTC, ISO dates, full float precision), so
 * the same data gives the same digest on any server.
 */

const CONTENT_SETTINGS = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex';";

/** psql statements printing the content lines of the database psql is connected to. */
const CONTENT_SQL = `${CONTENT_SETTINGS}
SELECT format('SELECT %L, %L, count(*), md5(coalesce(string_agg(h, '''' ORDER BY h), '''')) FROM (SELECT md5(t::text) AS h FROM %I.%I t) s',
              'table', n.nspname || '.' || c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
 ORDER BY n.nspname, c.relname \\gexec
SELECT CASE WHEN to_regclass('public.knex_migrations') IS NULL THEN 'SELECT ''migration'', '''', 0'
            ELSE 'SELECT ''migration'', coalesce(max(name), ''''), count(*) FROM public.knex_migrations' END \\gexec`;

const PSQL = 'psql -X -q -v ON_ERROR_STOP=1 -At -F "$TAB"';

/**
 * Shell lines making directory "$dir" private (700) whatever it was (provisioning creates backups/ 750). A
 * shared directory (sticky, like /tmp) or another user's is refused, not locked: even when run as root.
 */
export const PRIVATE_DIRECTORY = `mkdir -p "$dir" || exit 1
if [ ! -O "$dir" ] || [ -k "$dir" ]; then echo "$dir is shared or belongs to another user: backups go only into a directory of one's own (mode 700)" >&2; exit 1; fi
chmod 700 "$dir" || exit 1`;

/** stdin for the scripts below: the connection as PG* variables, then an empty line. */
export function connectionInput(environment: Record<string, string>): string {
  return `${Object.entries(environment)
    .map(([name, value]) => `${name}=${value.replace(/[\r\n]/g, '')}`)
    .join('\n')}\n\n`;
}

/**
 * A consistent dump with its facts: one transaction exports its snapshot, pg_dump (custom format) dumps
 * exactly that snapshot, and the same transaction then counts and hashes every table, so the manifest
 * describes the dump even while the application keeps writing. The transaction's psql session is fed
 * through a FIFO, so that pg_dump runs beside it the same way whether the tools run here or in the service's
 * container. Writes `$file` (mode 600, in a directory made mode 700, however it was before: provisioning
 * creates backups/ group-readable) only when whole; prints the content lines, then `server <version>` and
 * `dump <bytes> <sha256>`.
 */
export function takeBackup(tools: PgTools, file: string): RemoteCommand {
  return pgScript(
    tools,
    'nexus-backup',
    `file=$1; umask 077; dir=$(dirname "$file")
${PRIVATE_DIRECTORY}
rm -f "$file.partial"
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work" "$file.partial"' EXIT
mkfifo "$work/sql" "$work/out" || exit 1
${PSQL} < "$work/sql" > "$work/out" &
session=$!
exec 3> "$work/sql" 4< "$work/out"
printf '%s\\n' 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;' 'SELECT pg_export_snapshot();' >&3
IFS= read -r snapshot <&4 || snapshot=
case $snapshot in
  ''|*[!0-9A-Fa-f-]*) exec 3>&-; cat <&4 >/dev/null; wait "$session"; echo "could not open a snapshot of the database" >&2; exit 1;;
esac
if ! pg_dump -Fc --snapshot="$snapshot" > "$file.partial" || [ ! -s "$file.partial" ]; then
  exec 3>&-; cat <&4 >/dev/null; wait "$session"; echo "pg_dump failed" >&2; exit 1
fi
cat >&3 <<'SQL'
${CONTENT_SQL}
SELECT 'server', current_setting('server_version');
COMMIT;
SQL
exec 3>&-
cat <&4
wait "$session" || exit 1
mv -f "$file.partial" "$file" || exit 1
printf 'dump\\t%s\\t%s\\n' "$(wc -c < "$file" | tr -d ' ')" "$(sha256sum "$file" | cut -d' ' -f1)"`,
    file,
  );
}

/** Prints `dump <bytes> <sha256>` of a file, or exits 66 when it is missing. */
export function checksumFile(file: string): RemoteCommand {
  return script('nexus-backup-checksum', `[ -f "$1" ] || { echo "no such backup file: $1" >&2; exit 66; }
printf 'dump\\t%s\\t%s\\n' "$(wc -c < "$1" | tr -d ' ')" "$(sha256sum "$1" | cut -d' ' -f1)"`, file);
}

/**
 * Creates database `$2` (connected to the maintenance database `$3`), restores the dump into it and prints
 * its content lines. A failed restore drops the half-made database again.
 */
export function restoreIntoNewDatabase(tools: PgTools, file: string, database: string, maintenance: string): RemoteCommand {
  return pgScript(
    tools,
    'nexus-restore',
    `file=$1; database=$2; maintenance=$3
[ -f "$file" ] || { echo "no such backup file: $file" >&2; exit 66; }
${PSQL} -d "$maintenance" -v name="$database" <<'SQL' || exit 1
CREATE DATABASE :"name";
SQL
drop() { ${PSQL} -d "$maintenance" -v name="$database" >/dev/null <<'SQL'
DROP DATABASE IF EXISTS :"name" WITH (FORCE);
SQL
}
pg_restore --no-owner --no-privileges --exit-on-error -d "$database" < "$file" || { drop; exit 1; }
${PSQL} -d "$database" <<'SQL' || { drop; exit 1; }
${CONTENT_SQL}
SQL`,
    file,
    database,
    maintenance,
  );
}

/** Drops a database (connected to the maintenance database), ending its sessions first. */
export function dropDatabase(tools: PgTools, database: string, maintenance: string): RemoteCommand {
  return pgScript(
    tools,
    'nexus-drop-database',
    `${PSQL} -d "$2" -v name="$1" <<'SQL'
DROP DATABASE IF EXISTS :"name" WITH (FORCE);
SQL`,
    database,
    maintenance,
  );
}

/**
 * Puts a restored database in the place of the current one: new connections to the current one are refused,
 * its sessions ended, then it is renamed to `$3` (kept for the operator) and the restored one takes its name.
 * The application's pools reconnect by name, to the restored data.
 */
export function switchDatabase(tools: PgTools, current: string, restored: string, previous: string, maintenance: string): RemoteCommand {
  return pgScript(
    tools,
    'nexus-switch-database',
    `${PSQL} -d "$4" -v current="$1" -v restored="$2" -v previous="$3" <<'SQL'
ALTER DATABASE :"current" WITH ALLOW_CONNECTIONS false;
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :'current' AND pid <> pg_backend_pid();
SELECT pg_sleep(0.2);
ALTER DATABASE :"current" RENAME TO :"previous";
ALTER DATABASE :"restored" RENAME TO :"current";
ALTER DATABASE :"previous" WITH ALLOW_CONNECTIONS true;
SQL`,
    current,
    restored,
    previous,
    maintenance,
  );
}

/** Prints what the database records about itself: `environment <name>` (empty before any migration). */
export function readEnvironment(tools: PgTools): RemoteCommand {
  return pgScript(
    tools,
    'nexus-db-environment',
    `${PSQL} <<'SQL'
SELECT CASE WHEN to_regclass('public.nexus_meta') IS NULL THEN 'SELECT ''environment'', '''''
            ELSE 'SELECT ''environment'', coalesce((SELECT value FROM public.nexus_meta WHERE key = ''environment''), '''')' END \\gexec
SQL`,
  );
}

/** Prints every manifest (<id>.json, one JSON document per line) of a backup directory; none when it is missing. */
export function listManifests(dir: string): RemoteCommand {
  return script('nexus-backup-list', `[ -d "$1" ] || exit 0
for file in "$1"/*.json; do [ -f "$file" ] && { cat "$file"; echo; }; done; exit 0`, dir);
}

/** Prints the id of every backup whose verification was recorded (<id>.verified), one a line; none when the directory is missing. */
export function listVerified(dir: string): RemoteCommand {
  return script('nexus-backup-verified', `[ -d "$1" ] || exit 0
for file in "$1"/*.verified; do [ -f "$file" ] && basename "$file" .verified; done; exit 0`, dir);
}

/** Removes backups (manifest, dump, verification record) by id; the manifest goes first, so a half-removed backup is not listed. */
export function removeBackups(dir: string, ids: readonly string[]): RemoteCommand {
  return script('nexus-backup-remove', `dir=$1; shift
for id in "$@"; do rm -f "$dir/$id.json" && rm -f "$dir/$id.dump" "$dir/$id.verified" || exit 1; done`, dir, ...ids);
}

/** The backup directory, private to the deploy user (mode 700, also when it already existed). */
export function ensureBackupDirectory(dir: string): RemoteCommand {
  return script('nexus-backup-dir', `umask 077; dir=$1\n${PRIVATE_DIRECTORY}`, dir);
}

/** Makes a backup's files readable by their owner only (after an upload, which keeps the default mode). */
export function protectBackup(dir: string, id: string): RemoteCommand {
  return script('nexus-backup-protect', 'chmod 600 "$1/$2.dump" "$1/$2.json"', dir, id);
}
