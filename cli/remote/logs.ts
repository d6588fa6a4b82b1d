import { COMPOSE_FUNCTION } from './docker';
import { script, type RemoteCommand } from './shell';

export const LOG_SERVICES = ['app', 'nginx', 'postgres', 'redis'] as const;
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
 * The remote command that prints (or follows) a service's logs. nginx's come from its files; the others from
 * Docker: the app from the compose project of the current release's colour, PostgreSQL and Redis from the
 * services project. Options reach the remote shell as parameters, never spliced into the script.
 */
export function logsCommand(request: LogRequest): RemoteCommand {
  const grep = request.grep ?? '';
  if (request.service === 'nginx') {
    return script(
      'nexus-logs-nginx',
      `GREP=$4; tail -n "$2" \${3:+"$3"} "$1/access.log" "$1/error.log" | ${FILTER}`,
      request.nginxLogDir,
      String(request.lines),
      request.follow ? '-F' : '',
      grep,
    );
  }
  // Optional options are `${n:+"…"}`: absent, they leave no empty argument; present, they stay one word.
  const docker = `compose -p "$project" -f "$file" --env-file compose.env logs --no-color --tail "$2" \${3:+"$3"} \${7:+"--since=$7"} "$service"`;
  const project =
    request.service === 'app'
      ? 'colour=$(sed -n \'s/.*"colour": *"\\([a-z]*\\)".*/\\1/p\' "$1/serving.json" 2>/dev/null); [ -n "$colour" ] || { echo "no release is serving under $1" >&2; exit 3; }; project="$5-$colour"; cd "$1/current"; file=docker-compose.prod.yml'
      : 'project="$5-services"; cd "$1/services" 2>/dev/null || { echo "no on-host services under $1" >&2; exit 3; }; file=docker-compose.services.yml';
  return script(
    `nexus-logs-${request.service}`,
    // POSIX sh has no pipefail: Docker's exit status comes back through fd 3, so a failing docker fails the command.
    `${COMPOSE_FUNCTION}\nGREP=$4; service=$6\n${project}\nexec 4>&1\nstatus=$( { { ${docker} 2>&1; echo $? >&3; } | { ${FILTER}; } >&4; } 3>&1 )\nexit "$status"`,
    request.root,
    String(request.lines),
    request.follow ? '--follow' : '',
    grep,
    request.app,
    request.service,
    request.since ?? '',
  );
}
