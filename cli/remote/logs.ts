import { COMPOSE_FUNCTION } from './docker';
import { script, type RemoteCommand } from './shell';

export const LOG_SERVICES = ['app', 'worker', 'nginx', 'postgres', 'redis'] as const;
export type LogService = (typeof LOG_SERVICES)[number];

export interface LogRequest {
  service: LogService;
  app: string;
  root: string;
  lines: number;
  follow: boolean;
  /** Docker's --since (e.g. 10m, 2026-11-25T10:00:00); not available for nginx's files. */
  since?: string;
  /** A fixed string to keep lines with. */
  grep?: string;
  nginxLogDir: string;
}

/** The lines a filter keeps: grep -F on the stream, line-buffered so following stays live. */
const FILTER = 'if [ -n "$GREP" ]; then grep --line-buffered -F -e "$GREP"; else cat; fi';

/**
 * Runs the script's `stream` function through the filter and exits with stream's status, not the filter's
 * (POSIX sh has no pipefail: the status comes back through fd 3). Only stdout is filtered: what the tools say
 * on stderr (a file it cannot read, a usage error) stays on stderr, so nexus can report it.
 */
const THROUGH_FILTER = `exec 4>&1\nstatus=$( { { stream; echo $? >&3; } | { ${FILTER}; } >&4; } 3>&1 )\nexit "$status"`;

/**
 * nginx's files. A file the login cannot read fails at once with the reason: `tail -F` would wait for it
 * forever. Debian and Ubuntu keep them www-data:adm 0640, recreated so by logrotate: provisioning puts the
 * deploy user in adm.
 */
function nginxLogs(request: LogRequest): RemoteCommand {
  return script(
    'nexus-logs-nginx',
    `dir=$1 lines=$2 follow=$3 GREP=$4
for file in "$dir/access.log" "$dir/error.log"; do
  [ -r "$file" ] && continue
  if [ -e "$file" ]; then echo "$(id -un) cannot read $file: $(stat -c '%A %U:%G' "$file"); run nexus server provision (it adds the deploy user to the adm group that owns nginx's logs)" >&2
  else echo "$file does not exist (pass --nginx-log-dir if nginx logs elsewhere)" >&2; fi
  exit 1
done
stream() { tail -n "$lines" \${follow:+"$follow"} "$dir/access.log" "$dir/error.log"; }
${THROUGH_FILTER}`,
    request.nginxLogDir,
    String(request.lines),
    request.follow ? '-F' : '',
    request.grep ?? '',
  );
}

/**
 * Docker's logs, through either Compose flavour. Compose v2 takes --since itself. Compose v1 (docker-compose
 * 1.29, Debian 12's) has no `logs --since`, so there the same filter is Docker's own: `docker logs --since`
 * on each container of the service (`compose ps -q`), which is what v2 does underneath. Containers' stderr is
 * part of their log, so `docker logs` has it merged into the filtered stream.
 */
function dockerLogs(request: LogRequest): RemoteCommand {
  const project =
    request.service === 'app' || request.service === 'worker'
      ? 'colour=$(sed -n \'s/.*"colour": *"\\([a-z]*\\)".*/\\1/p\' "$root/serving.json" 2>/dev/null); [ -n "$colour" ] || { echo "no release is serving under $root" >&2; exit 3; }; project="$app-$colour"; cd "$root/current" || exit 3; file=docker-compose.prod.yml'
      : 'project="$app-services"; cd "$root/services" 2>/dev/null || { echo "no on-host services under $root" >&2; exit 3; }; file=docker-compose.services.yml';
  return script(
    `nexus-logs-${request.service}`,
    `${COMPOSE_FUNCTION}
root=$1 lines=$2 follow=$3 GREP=$4 app=$5 service=$6 since=$7
${project}
if [ -n "$since" ] && ! docker compose version >/dev/null 2>&1; then
  ids=$(compose -p "$project" -f "$file" --env-file compose.env ps -q "$service") || exit 1
  [ -n "$ids" ] || { echo "$service has no container in the compose project $project" >&2; exit 3; }
  stream() {
    pids=''
    for id in $ids; do
      if [ -n "$follow" ]; then docker logs --tail "$lines" --since "$since" --follow "$id" 2>&1 & pids="$pids $!"
      else docker logs --tail "$lines" --since "$since" "$id" 2>&1 || return; fi
    done
    for pid in $pids; do wait "$pid" || return; done
  }
else
  # Optional options are \`\${var:+"…"}\`: absent, they leave no empty argument; present, they stay one word.
  stream() { compose -p "$project" -f "$file" --env-file compose.env logs --no-color --tail "$lines" \${follow:+"$follow"} \${since:+"--since=$since"} "$service"; }
fi
${THROUGH_FILTER}`,
    request.root,
    String(request.lines),
    request.follow ? '--follow' : '',
    request.grep ?? '',
    request.app,
    request.service,
    request.since ?? '',
  );
}

/**
 * The remote command that prints (or follows) a service's logs. nginx's come from its files; the others from
 * Docker: the app and the worker (every copy) from the compose project of the current release's colour,
 * PostgreSQL and Redis from the services project. Options reach the remote shell as parameters, never spliced into the script.
 */
export function logsCommand(request: LogRequest): RemoteCommand {
  return request.service === 'nginx' ? nginxLogs(request) : dockerLogs(request);
}
